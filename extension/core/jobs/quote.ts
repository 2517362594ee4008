// Quoting an argument vector for the shell of a terminal, and keeping secrets out of what is displayed.
// Pure: no `vscode`, no Node APIs.
//
// Jobs are argument vectors (`command` + `args`), never shell strings. Where a command line has to be
// typed into a shell (a terminal that runs the job, the script of a Slurm batch job, a "copy command"
// action), every word is quoted so that the shell passes it through literally: nothing expands, nothing
// runs.
//
// * posix (bash, sh, dash, zsh, ksh): words made only of `A-Za-z0-9_/.,:=@%+-` stay bare (a word starting
//   with `=` is quoted: zsh expands `=cmd`); everything else goes in single quotes, a `'` written `'\''`;
//   the empty string is `''`. Newlines inside single quotes are literal.
// * fish: single quotes too, but fish treats `\'` and `\\` as escapes inside them, so `\` → `\\` and
//   `'` → `\'`; `%` is not left bare (`%self`).
// * pwsh (PowerShell 7, Windows PowerShell): options (`--output_dir`) and plain words that do not start
//   with a digit stay bare; everything else goes in single quotes, a `'` (and the typographic quotes ‘ ’ ‚ ‛
//   that PowerShell also accepts as quotes) doubled. `--` and `--%` are quoted (PowerShell tokens). A quoted
//   command is prefixed with the call operator `& `.
//   Limit: Windows PowerShell 5.1 and pwsh < 7.3 (`$PSNativeCommandArgumentPassing = 'Legacy'`) drop empty
//   arguments and pass embedded `"` to native programs unescaped; pwsh ≥ 7.3 passes them correctly.
// * cmd: double quotes, `"` written `""` (cmd's parser stays inside the quotes; programs built on the MS C
//   runtime since 2008, Python included, read `""` inside quotes as one `"`); backslashes before a `"` or at
//   the end are doubled for the C runtime. cmd cannot be made safe for `%` (it expands `%VAR%` even inside
//   double quotes, and `^%` only works outside quotes on the interactive command line, not in a batch file)
//   nor for `!` (delayed expansion, when enabled), nor for line breaks and NUL: `cmdSafe` says whether an
//   argument avoids them, and `quoteArg` / `commandLine` throw a clear Error instead of quoting such an
//   argument wrongly. Use a posix shell or PowerShell for those jobs.
//
// Secrets: `isSecretName` looks at the segments of an environment variable's name (split at `_`, `-`, `.`
// and camelCase): KEY, KEYS, TOKEN, SECRET, PASSWORD, PASSWD, PASS, PASSPHRASE, CREDENTIAL(S), CREDS, AUTH,
// AUTHORIZATION, BEARER, COOKIE, PAT (as the last segment), PRIVATE with KEY, and glued forms (APIKEY,
// ACCESSTOKEN, AUTHTOKEN…). Whole segments only: KEYBOARD, MONKEY, TOKENIZERS_PARALLELISM, MAX_TOKENS and
// PWD are not secrets. `looksLikeSecretValue` knows the common token prefixes (`hf_`, `sk-`, `ghp_`,
// `github_pat_`, `xox?-`, `AKIA`, `glpat-`, `AIza`, JWTs, PEM private keys) and otherwise flags a single word
// of 32+ base64/hex characters (no spaces or slashes) with a long unbroken run and high character entropy.
// Over-redaction (an MD5 in a variable) is preferred to a leaked key: this only affects what is shown.
// `redactText` masks the secret values of an environment wherever they occur in a text (and their quoted
// forms); `redactArgs` masks secret-looking arguments and the value after a secret-named option
// (`--hub_token X`, `--api-key=X`). Neither can see a secret split across two separately redacted chunks.

export type ShellKind = 'posix' | 'pwsh' | 'cmd' | 'fish';

// ---------------------------------------------------------------------------------------------------------
// Quoting

const POSIX_BARE = /^[A-Za-z0-9_/.,:=@%+-]+$/;
const FISH_BARE = /^[A-Za-z0-9_/.,:=@+-]+$/;
/** Bare in PowerShell: options (`--output_dir`) and plain words not starting with a digit (`1e-6` would be a number). */
const PWSH_BARE = /^(?:-{1,2}[A-Za-z][A-Za-z0-9_-]*|[A-Za-z_][A-Za-z0-9_/.\\-]*)$/;
const CMD_BARE = /^[A-Za-z0-9_/.:\\+-]+$/;
/** PowerShell treats these as single quotes as well. */
const PWSH_QUOTES = /['\u2018\u2019\u201a\u201b]/g;
/** Words a POSIX shell reads as keywords in command position. */
const POSIX_RESERVED = new Set([
  '!', '{', '}', '[[', ']]', 'case', 'coproc', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function',
  'if', 'in', 'select', 'then', 'time', 'until', 'while', 'begin', 'end', 'not', 'and', 'or', 'switch',
]);

/** Whether cmd.exe can be given this argument literally (no `%`, `!`, line break or NUL). */
export function cmdSafe(arg: string): boolean {
  return !/[%!\r\n\0]/.test(arg);
}

function cmdUnsafeReason(arg: string): string {
  if (/[\r\n]/.test(arg)) return 'a line break';
  if (arg.includes('\0')) return 'a NUL character';
  if (arg.includes('%')) return '"%" (cmd expands %VAR% even inside double quotes)';
  return '"!" (cmd expands !VAR! when delayed expansion is on)';
}

function shortForError(arg: string): string {
  const s = JSON.stringify(arg.length > 60 ? `${arg.slice(0, 57)}...` : arg);
  return s;
}

/** The argument as one literal word for `shell`. Throws for cmd when `cmdSafe(arg)` is false. */
export function quoteArg(arg: string, shell: ShellKind): string {
  switch (shell) {
    case 'posix':
      if (arg === '') return "''";
      if (POSIX_BARE.test(arg) && !arg.startsWith('=')) return arg;
      return `'${arg.replace(/'/g, "'\\''")}'`;
    case 'fish':
      if (arg === '') return "''";
      if (FISH_BARE.test(arg) && !arg.startsWith('=')) return arg;
      return `'${arg.replace(/[\\']/g, (c) => `\\${c}`)}'`;
    case 'pwsh':
      if (arg === '') return "''";
      if (PWSH_BARE.test(arg)) return arg;
      return `'${arg.replace(PWSH_QUOTES, (c) => c + c)}'`;
    case 'cmd': {
      if (!cmdSafe(arg)) {
        throw new Error(
          `cannot pass the argument ${shortForError(arg)} through cmd.exe safely: it contains ${cmdUnsafeReason(arg)}. ` +
            'Run this job in a POSIX shell or PowerShell terminal instead.',
        );
      }
      if (arg !== '' && CMD_BARE.test(arg)) return arg;
      let out = '"';
      let slashes = 0;
      for (const ch of arg) {
        if (ch === '\\') {
          slashes++;
          continue;
        }
        if (ch === '"') {
          out += '\\'.repeat(slashes * 2) + '""';
        } else {
          out += '\\'.repeat(slashes) + ch;
        }
        slashes = 0;
      }
      out += '\\'.repeat(slashes * 2) + '"';
      return out;
    }
  }
}

/** The command word: like an argument, but a word with `=` or a keyword is quoted too (posix / fish). */
function quoteCommand(command: string, shell: ShellKind): string {
  if (shell === 'posix' || shell === 'fish') {
    const q = quoteArg(command, shell);
    if (q === command && (command.includes('=') || POSIX_RESERVED.has(command))) return `'${command}'`;
    return q;
  }
  if (shell === 'pwsh') {
    const q = quoteArg(command, shell);
    return q === command ? q : `& ${q}`;
  }
  return quoteArg(command, shell);
}

/** One command line that runs `command` with `args` in `shell`, every word literal. */
export function commandLine(command: string, args: readonly string[], shell: ShellKind): string {
  if (command === '') throw new Error('the command is empty');
  return [quoteCommand(command, shell), ...args.map((a) => quoteArg(a, shell))].join(' ');
}

/** The kind of shell at `shellPath` (`/bin/bash`, `C:\Windows\System32\cmd.exe`, `pwsh`); unknown → posix. */
export function shellKindOf(shellPath: string): ShellKind {
  const base = (shellPath.split(/[\\/]/).pop() ?? '').toLowerCase().replace(/\.exe$/, '');
  if (base === 'cmd') return 'cmd';
  if (base === 'pwsh' || base === 'pwsh-preview' || base === 'powershell' || base === 'powershell_ise') return 'pwsh';
  if (base === 'fish') return 'fish';
  return 'posix';
}

// ---------------------------------------------------------------------------------------------------------
// Secrets

const SECRET_SEGMENTS = new Set([
  'KEY', 'KEYS', 'TOKEN', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWORDS', 'PASSWD', 'PASS',
  'PASSPHRASE', 'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'AUTH', 'AUTHORIZATION', 'BEARER', 'COOKIE', 'COOKIES',
  'PRIVATEKEY', 'APIKEY', 'APITOKEN',
]);
const GLUED_SECRET = /^(?:API|ACCESS|SECRET|PRIVATE|AUTH|SESSION|REFRESH|BEARER|CLIENT|MASTER|SIGNING|ENCRYPTION|HF|GH|GITHUB|WANDB|OPENAI)(?:KEY|TOKEN|SECRET|PASSWORD)S?$/;

function nameSegments(name: string): string[] {
  return name
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter(Boolean)
    .map((s) => s.toUpperCase());
}

/** Whether an environment variable (or option) of this name holds a secret; see the header. */
export function isSecretName(name: string): boolean {
  const segs = nameSegments(name);
  if (segs.length === 0) return false;
  for (const s of segs) if (SECRET_SEGMENTS.has(s) || GLUED_SECRET.test(s)) return true;
  return segs.length > 1 && segs[segs.length - 1] === 'PAT';
}

const SECRET_PREFIXES: readonly RegExp[] = [
  /^hf_[A-Za-z0-9]{30,}$/,
  /^sk-[A-Za-z0-9_-]{20,}$/,
  /^(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}$/,
  /^github_pat_[A-Za-z0-9_]{20,}$/,
  /^xox[abposr]-[A-Za-z0-9-]{10,}$/,
  /^(?:AKIA|ASIA)[0-9A-Z]{16}$/,
  /^glpat-[A-Za-z0-9_-]{20,}$/,
  /^AIza[0-9A-Za-z_-]{35}$/,
  /^npm_[A-Za-z0-9]{36}$/,
  /^pypi-[A-Za-z0-9_-]{50,}$/,
  /^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/,
];

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Whether a value looks like a credential (known token formats, or a long random-looking word). */
export function looksLikeSecretValue(value: string): boolean {
  const v = value.trim();
  if (v.length < 16) return false;
  if (/-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/.test(v)) return true;
  if (SECRET_PREFIXES.some((re) => re.test(v))) return true;
  if (v.length < 32 || !/^[A-Za-z0-9+=_-]+$/.test(v)) return false;
  // Identifiers (`Qwen2_5_VL_3B_Instruct_final_checkpoint`) are short runs joined by `_` / `-`.
  const longestRun = Math.max(...v.split(/[_-]/).map((r) => r.length));
  if (longestRun < 24) return false;
  if (!/\d/.test(v) || !/[A-Za-z]/.test(v)) return false;
  const hex = /^[0-9a-fA-F]+$/.test(v);
  return entropy(v) >= (hex ? 3.0 : 3.5);
}

function isSecretEntry(name: string, value: string): boolean {
  return value !== '' && (isSecretName(name) || looksLikeSecretValue(value));
}

/** The environment with each secret value (by name or by looks) replaced by `***`; empty values are kept. */
export function redactEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = isSecretEntry(k, v) ? '***' : v;
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The text with every occurrence of a secret value of `env` (at least 4 characters) replaced by `***`,
 * in one pass, longest value first. The values' shell-quoted forms (posix, fish, pwsh) are replaced too,
 * so a command line built with `commandLine` is covered.
 */
export function redactText(text: string, env: Readonly<Record<string, string>>): string {
  const needles = new Set<string>();
  for (const [k, v] of Object.entries(env)) {
    if (v.length < 4 || !isSecretEntry(k, v)) continue;
    needles.add(v);
    for (const shell of ['posix', 'fish', 'pwsh'] as const) needles.add(quoteArg(v, shell));
  }
  if (needles.size === 0 || !text) return text;
  const sorted = [...needles].sort((a, b) => b.length - a.length);
  return text.replace(new RegExp(sorted.map(escapeRegExp).join('|'), 'g'), '***');
}

/**
 * The arguments with secrets replaced by `***`: a value that looks like a secret, the value after an option
 * whose name is a secret name (`--hub_token X`), and the value of `--api-key=X`.
 */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = /^(--?[A-Za-z][A-Za-z0-9_.-]*)=(.*)$/s.exec(a);
    if (eq && eq[2] !== '' && isSecretName(eq[1]!.replace(/^-+/, ''))) {
      out.push(`${eq[1]}=***`);
    } else if (looksLikeSecretValue(a)) {
      out.push('***');
    } else {
      out.push(a);
    }
    const next = args[i + 1];
    if (next !== undefined && /^--?[A-Za-z][A-Za-z0-9_.-]*$/.test(a) && isSecretName(a.replace(/^-+/, '')) && !next.startsWith('-')) {
      out.push('***');
      i++;
    }
  }
  return out;
}
