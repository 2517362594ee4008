import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import {
  cmdSafe,
  commandLine,
  isSecretName,
  looksLikeSecretValue,
  quoteArg,
  redactArgs,
  redactEnv,
  redactText,
  shellKindOf,
} from '../../extension/core/jobs/quote';

/** The shells of this machine that the real-shell tests run (sh is required, bash when present). */
const SHELLS = ['/bin/sh', '/bin/bash'].filter((s) => fs.existsSync(s));

/** The arguments `printf '%s\0' <quoted args>` prints when `shell` runs the command line. */
function roundTrip(shell: string, args: readonly string[], cwd?: string): string[] {
  const line = commandLine('printf', ['%s\\0', ...args], 'posix');
  const out = execFileSync(shell, ['-c', line], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  const parts = out.split('\0');
  assert.equal(parts.pop(), '');
  return parts;
}

const SPECIALS = [
  ...'\'"`$\\ \t\n;|&*?[]{}()<>!#~%^=,:@+-_./\r',
  '$(touch x)',
  '`id`',
  '${HOME}',
  '$HOME',
  "'\\''",
  '*',
  '~root',
  'é',
  '日本',
  '🙂',
  '--',
  '-n',
];
/** Strings of shell metacharacters and text; no NUL (an argv cannot hold one). */
const nastyString = fc
  .oneof(fc.string({ unit: fc.constantFrom(...SPECIALS), maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }))
  .filter((s) => !s.includes('\0') && Buffer.from(s, 'utf8').toString('utf8') === s);

describe('jobs quote: POSIX quoting in real shells', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-quote-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has a POSIX shell to test with', () => {
    assert.ok(SHELLS.includes('/bin/sh'));
  });

  for (const shell of SHELLS) {
    it(`${shell}: every argument arrives literally (property)`, function () {
      this.timeout(60000);
      fc.assert(
        fc.property(fc.array(nastyString, { minLength: 1, maxLength: 8 }), (args) => {
          assert.deepEqual(roundTrip(shell, args, tmp), args);
        }),
        { numRuns: 150 },
      );
      // Nothing the arguments held was run or globbed into the folder.
      assert.deepEqual(fs.readdirSync(tmp), []);
    });

    it(`${shell}: $(…), backticks, ; | && and newlines never run`, () => {
      const marker = path.join(tmp, 'pwned');
      const attacks = [
        `$(touch ${marker})`,
        `\`touch ${marker}\``,
        `; touch ${marker}`,
        `| touch ${marker}`,
        `&& touch ${marker}`,
        `\ntouch ${marker}\n`,
        `'; touch ${marker}; '`,
        `"$(touch ${marker})"`,
        `\\'$(touch ${marker})`,
        `${'$'}{IFS}$(touch ${marker})`,
      ];
      assert.deepEqual(roundTrip(shell, attacks), attacks);
      assert.equal(fs.existsSync(marker), false);
    });

    it(`${shell}: a command with spaces and quotes in its path runs`, () => {
      const dir = path.join(tmp, "it's a dir");
      fs.mkdirSync(dir, { recursive: true });
      const script = path.join(dir, 'run me $x.sh');
      fs.writeFileSync(script, '#!/bin/sh\nprintf "%s|" "$@"\n', { mode: 0o755 });
      const out = execFileSync(shell, ['-c', commandLine(script, ['a b', '', "c'd"], 'posix')], { encoding: 'utf8' });
      assert.equal(out, "a b||c'd|");
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  it('a command word with "=" or a keyword is quoted (not an assignment / keyword)', () => {
    assert.equal(commandLine('FOO=bar', ['x'], 'posix'), "'FOO=bar' x");
    assert.equal(commandLine('if', [], 'posix'), "'if'");
    const out = execFileSync('/bin/sh', ['-c', commandLine('FOO=bar', [], 'posix') + ' 2>&1 || true'], { encoding: 'utf8' });
    assert.match(out, /not found/);
  });
});

describe('jobs quote: quoteArg by shell', () => {
  it('posix', () => {
    assert.equal(quoteArg('', 'posix'), "''");
    assert.equal(quoteArg('--output_dir=runs/a-b_c.d,e:f@g%h+i', 'posix'), '--output_dir=runs/a-b_c.d,e:f@g%h+i');
    assert.equal(quoteArg('a b', 'posix'), "'a b'");
    assert.equal(quoteArg("it's", 'posix'), "'it'\\''s'");
    assert.equal(quoteArg('~/x', 'posix'), "'~/x'");
    assert.equal(quoteArg('=ls', 'posix'), "'=ls'");
    assert.equal(quoteArg('trainer.logger=[console,file]', 'posix'), "'trainer.logger=[console,file]'");
  });

  it('fish: backslash and quote escaped inside single quotes, % not bare', () => {
    assert.equal(quoteArg('', 'fish'), "''");
    assert.equal(quoteArg('plain/path.txt', 'fish'), 'plain/path.txt');
    assert.equal(quoteArg("it's", 'fish'), "'it\\'s'");
    assert.equal(quoteArg('a\\b', 'fish'), "'a\\\\b'");
    assert.equal(quoteArg('%self', 'fish'), "'%self'");
    assert.equal(quoteArg('$(rm -rf ~)', 'fish'), "'$(rm -rf ~)'");
  });

  it('pwsh: single quotes doubled, typographic quotes too, call operator for a quoted command', () => {
    assert.equal(quoteArg('', 'pwsh'), "''");
    assert.equal(quoteArg('--output_dir', 'pwsh'), '--output_dir');
    assert.equal(quoteArg('runs/a', 'pwsh'), 'runs/a');
    assert.equal(quoteArg('1e-6', 'pwsh'), "'1e-6'");
    assert.equal(quoteArg("it's", 'pwsh'), "'it''s'");
    assert.equal(quoteArg('a\u2019b', 'pwsh'), "'a\u2019\u2019b'");
    assert.equal(quoteArg('$env:HOME $(Get-Item) `n @a', 'pwsh'), "'$env:HOME $(Get-Item) `n @a'");
    assert.equal(quoteArg('--%', 'pwsh'), "'--%'");
    assert.equal(quoteArg('--', 'pwsh'), "'--'");
    assert.equal(commandLine('C:\\Program Files\\Python\\python.exe', ['-m', 'x y'], 'pwsh'), "& 'C:\\Program Files\\Python\\python.exe' -m 'x y'");
    assert.equal(commandLine('python', ['train.py', '--lr', '1e-6'], 'pwsh'), "python train.py --lr '1e-6'");
  });

  it('pwsh quoting is reversible: strip the quotes and undouble', () => {
    fc.assert(
      fc.property(nastyString, (s) => {
        const q = quoteArg(s, 'pwsh');
        if (q === s) return;
        assert.ok(q.startsWith("'") && q.endsWith("'"));
        const inner = q.slice(1, -1);
        // Every quote character inside comes in pairs.
        assert.doesNotMatch(inner.replace(/(['\u2018\u2019\u201a\u201b])\1/g, ''), /['\u2018\u2019\u201a\u201b]/);
        assert.equal(inner.replace(/(['\u2018\u2019\u201a\u201b])\1/g, '$1'), s);
      }),
    );
  });

  it('cmd: double quotes, "" for ", backslashes doubled before a quote and at the end', () => {
    assert.equal(quoteArg('', 'cmd'), '""');
    assert.equal(quoteArg('C:\\runs\\a', 'cmd'), 'C:\\runs\\a');
    assert.equal(quoteArg('a b', 'cmd'), '"a b"');
    assert.equal(quoteArg('say "hi"', 'cmd'), '"say ""hi"""');
    assert.equal(quoteArg('C:\\dir with space\\', 'cmd'), '"C:\\dir with space\\\\"');
    assert.equal(quoteArg('a\\"b', 'cmd'), '"a\\\\""b"');
    assert.equal(quoteArg('a&b|c<d>e^f(g)', 'cmd'), '"a&b|c<d>e^f(g)"');
    assert.equal(commandLine('C:\\Program Files\\x.exe', ['--a', 'b c'], 'cmd'), '"C:\\Program Files\\x.exe" --a "b c"');
  });

  it('cmd: refuses %, ! and line breaks with a clear error', () => {
    for (const bad of ['%PATH%', '50%', 'hi!', 'a\nb', 'a\rb']) {
      assert.equal(cmdSafe(bad), false);
      assert.throws(() => quoteArg(bad, 'cmd'), /cannot pass the argument .* through cmd\.exe safely/);
      assert.throws(() => commandLine('python', ['x.py', bad], 'cmd'), /POSIX shell or PowerShell/);
    }
    assert.equal(cmdSafe('a "b" & c ^ d'), true);
  });

  it('cmd quoting keeps cmd inside quotes (an even number of ", and every special character inside)', () => {
    fc.assert(
      fc.property(nastyString.filter(cmdSafe), (s) => {
        const q = quoteArg(s, 'cmd');
        if (q === s) {
          assert.match(s, /^[A-Za-z0-9_/.:\\+-]+$/);
          return;
        }
        assert.equal((q.match(/"/g) ?? []).length % 2, 0);
        // Outside of quotes (between pairs) there is nothing.
        let inside = false;
        for (const ch of q) {
          if (ch === '"') inside = !inside;
          else assert.ok(inside, `${JSON.stringify(ch)} outside quotes in ${q}`);
        }
      }),
    );
  });

  it('commandLine refuses an empty command', () => {
    assert.throws(() => commandLine('', [], 'posix'), /empty/);
  });

  it('shellKindOf', () => {
    assert.equal(shellKindOf('/bin/bash'), 'posix');
    assert.equal(shellKindOf('/usr/bin/zsh'), 'posix');
    assert.equal(shellKindOf('/bin/dash'), 'posix');
    assert.equal(shellKindOf('sh'), 'posix');
    assert.equal(shellKindOf('/opt/homebrew/bin/fish'), 'fish');
    assert.equal(shellKindOf('C:\\Program Files\\PowerShell\\7\\pwsh.exe'), 'pwsh');
    assert.equal(shellKindOf('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'), 'pwsh');
    assert.equal(shellKindOf('/usr/local/bin/pwsh'), 'pwsh');
    assert.equal(shellKindOf('C:\\Windows\\System32\\cmd.exe'), 'cmd');
    assert.equal(shellKindOf('CMD.EXE'), 'cmd');
    assert.equal(shellKindOf('C:\\Program Files\\Git\\bin\\bash.exe'), 'posix');
    assert.equal(shellKindOf(''), 'posix');
  });
});

describe('jobs quote: secrets', () => {
  it('isSecretName matches whole name segments', () => {
    for (const n of [
      'HF_TOKEN', 'WANDB_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'OPENAI_API_KEY', 'API_KEY', 'DB_PASSWORD',
      'MYSQL_PASSWD', 'GOOGLE_APPLICATION_CREDENTIALS', 'HF_AUTH', 'GITLAB_PAT', 'SSH_PRIVATE_KEY', 'hf_token', 'hfToken',
      'apiKey', 'APIKEY', 'HUGGINGFACEHUB_API_TOKEN', 'client-secret', 'my.secret', 'ACCESSTOKEN',
    ]) {
      assert.equal(isSecretName(n), true, n);
    }
    for (const n of [
      'KEYBOARD', 'MONKEY', 'TOKENIZERS_PARALLELISM', 'MAX_TOKENS', 'PWD', 'PATH', 'HOME', 'CUDA_VISIBLE_DEVICES', 'WANDB_MODE',
      'DEBUG_MODE', 'LOG_PATH', 'PATTERN', 'AUTHOR', 'GIT_AUTHOR_NAME', 'PAT', 'PASSING', 'SECRETARY', 'NPROC_PER_NODE', '',
    ]) {
      assert.equal(isSecretName(n), false, n);
    }
  });

  it('looksLikeSecretValue knows token formats and long random words', () => {
    for (const v of [
      'hf_' + 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345'.slice(0, 34),
      'sk-proj-abcdefghijklmnopqrstuvwxyz012345',
      'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      'xoxb-123456789012-abcdefghijkl',
      'AKIAIOSFODNN7EXAMPLE',
      'glpat-abcdefghij0123456789',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'e15fbbc857d13f6f81dc158724b3bbf8f7dbce2e',
      'qX7vB2mN9pL4kJ8hG3fD6sA1zW5yT0rE',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----',
    ]) {
      assert.equal(looksLikeSecretValue(v), true, v);
    }
    for (const v of [
      '', 'true', '0,1,2,3,4,5,6,7', 'Qwen/Qwen2.5-VL-3B-Instruct', '/home/user/runs/vlm-r1-rec/debug_log.txt',
      'Qwen2_5_VL_3B_Instruct_grpo_rec_final_checkpoint', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'hello world this is a long sentence with spaces',
      'https://example.org/some/long/path/0123456789abcdef', '1003520', 'sk-short',
    ]) {
      assert.equal(looksLikeSecretValue(v), false, v);
    }
  });

  it('redactEnv replaces secrets by name or by value, keeps the rest and empty values', () => {
    assert.deepEqual(
      redactEnv({ HF_TOKEN: 'x', DEBUG_MODE: 'true', CUSTOM: 'hf_abcdefghijklmnopqrstuvwxyz0123456789', WANDB_API_KEY: '', LOG_PATH: '/runs/a.txt' }),
      { HF_TOKEN: '***', DEBUG_MODE: 'true', CUSTOM: '***', WANDB_API_KEY: '', LOG_PATH: '/runs/a.txt' },
    );
  });

  it('redactText replaces every occurrence of secret values, quoted forms too; short values are left', () => {
    const env = { HF_TOKEN: 'hf_secretvalue', MY_PASSWORD: "pa ss'word", PAT_PIN: 'abc', MODE: 'offline', API_KEY: 'abc' };
    const line = commandLine('python', ['train.py', '--token', 'hf_secretvalue', '--pw', "pa ss'word", '--mode', 'offline'], 'posix');
    const red = redactText(`${line}\nlogin with hf_secretvalue ok; hf_secretvalue again; abc`, env);
    assert.equal(red, "python train.py --token *** --pw *** --mode offline\nlogin with *** ok; *** again; abc");
    assert.equal(redactText('nothing here', {}), 'nothing here');
    // Regex metacharacters in a secret are literal.
    assert.equal(redactText('a.*b and a.*b', { SECRET: 'a.*b' }), '*** and ***');
    assert.equal(redactText('axxb', { SECRET: 'a.*b' }), 'axxb');
  });

  it('redactArgs hides values of secret options and secret-looking values', () => {
    assert.deepEqual(
      redactArgs(['--hub_token', 'abc', '--api-key=xyz', '--max_tokens', '100', 'hf_abcdefghijklmnopqrstuvwxyz0123456789', '--wandb_key', '--flag', '--password=']),
      ['--hub_token', '***', '--api-key=***', '--max_tokens', '100', '***', '--wandb_key', '--flag', '--password='],
    );
  });
});
