import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  MAX_LINE_CHARS,
  ProgressParser,
  formatEta,
  formatProgress,
  parseDuration,
  parseProgressLine,
  stripAnsi,
} from '../../extension/core/jobs/progress';
import type { JobProgress } from '../../extension/core/jobs/types';

function prog(over: Partial<JobProgress>): JobProgress {
  return { step: null, total: null, fraction: null, etaSeconds: null, rate: null, label: null, ...over };
}

/** The state after feeding `chunks` to a fresh parser. */
function feed(chunks: readonly string[]): JobProgress | null {
  const p = new ProgressParser();
  for (const c of chunks) p.push(c);
  return p.latest;
}

/** A HF Trainer / TRL run: a bar without description, dict lines in between, a final newline. */
function hfTrainerOutput(upTo: number, total = 50): string {
  let s = '\r  0%|          | 0/' + total + ' [00:00<?, ?it/s]';
  for (let i = 1; i <= upTo; i++) {
    const pct = String(Math.floor((i / total) * 100)).padStart(3);
    const left = total - i;
    const eta = `${String(Math.floor((left * 2) / 60)).padStart(2, '0')}:${String((left * 2) % 60).padStart(2, '0')}`;
    const el = `${String(Math.floor((i * 2) / 60)).padStart(2, '0')}:${String((i * 2) % 60).padStart(2, '0')}`;
    s += `\r${pct}%|██▍       | ${i}/${total} [${el}<${eta},  2.00s/it]`;
    if (i % 5 === 0) s += `\n{'loss': 0.0123, 'grad_norm': 3.81, 'learning_rate': 1e-06, 'reward': 1.2031, 'epoch': ${(i / total).toFixed(2)}}\n`;
  }
  return s;
}

describe('jobs progress: parseProgressLine', () => {
  const cases: Array<[string, Partial<JobProgress>]> = [
    ['Training:  24%|██▍       | 12/50 [00:31<01:39,  2.61s/it]', { step: 12, total: 50, fraction: 0.24, etaSeconds: 99, rate: '2.61s/it', label: 'Training' }],
    ['  24%|██▍       | 12/50 [00:31<01:39,  2.61s/it]', { step: 12, total: 50, fraction: 0.24, etaSeconds: 99, rate: '2.61s/it' }],
    ['12/50 [00:31<?, ?it/s]', { step: 12, total: 50, fraction: 0.24 }],
    ['Step 3 |##        | 3/10 [00:03<00:07,  1.00it/s]', { step: 3, total: 10, fraction: 0.3, etaSeconds: 7, rate: '1.00it/s', label: 'Step 3' }],
    ['Training: 37it [00:05, 7.1it/s]', { step: 37, rate: '7.1it/s', label: 'Training' }],
    ['37it [00:05, 7.1it/s]', { step: 37, rate: '7.1it/s' }],
    [' 50%|█████     | 500/1000 [1:02:03<3:04:05,  1.52it/s, loss=0.1]', { step: 500, total: 1000, fraction: 0.5, etaSeconds: 11045, rate: '1.52it/s' }],
    ['Train:  24%|██▍       | 12/50 [00:31<01:39,  2.61s/it]', { step: 12, total: 50, fraction: 0.24, etaSeconds: 99, rate: '2.61s/it', label: 'Train' }],
    ['(TaskRunner pid=1234) Training Progress:  24%|██▍       | 12/50 [00:31<01:39,  2.61s/it]', { step: 12, total: 50, fraction: 0.24, etaSeconds: 99, rate: '2.61s/it', label: 'Training Progress' }],
    ['step 12/50', { step: 12, total: 50, fraction: 0.24 }],
    ['Step: 12 / 50', { step: 12, total: 50, fraction: 0.24 }],
    ['global_step 12/50', { step: 12, total: 50, fraction: 0.24 }],
    ['[step 12/50] loss=0.31 reward=0.8', { step: 12, total: 50, fraction: 0.24 }],
    ['step 12 of 50, eta: 5m 3s', { step: 12, total: 50, fraction: 0.24, etaSeconds: 303 }],
    ['iteration 5/10 eta 1h2m 2.5s/it', { step: 5, total: 10, fraction: 0.5, etaSeconds: 3720, rate: '2.5s/it' }],
    ['step:12 - actor/pg_loss:0.123 - critic/score/mean:0.5', { step: 12 }],
    ['(TaskRunner pid=77) step:3 - training/global_step:3 - training/epoch:0', { step: 3 }],
    ['global_step=12 loss=0.1', { step: 12 }],
    ['[step 12] loss 0.1', { step: 12 }],
    ['Epoch 1/3', { step: 1, total: 3, label: 'epoch' }],
    ['Epoch 1/3 step 12/50 ETA 0:01:23', { step: 12, total: 50, fraction: 0.24, etaSeconds: 83, label: 'epoch 1/3' }],
    ['ETA 0:01:23', { etaSeconds: 83 }],
    ['ETA: 01:23', { etaSeconds: 83 }],
    ['eta: 5m 3s', { etaSeconds: 303 }],
    ['eta: 1 day, 2:03:04  iter: 19  total_loss: 1.5', { etaSeconds: 93784 }],
    [
      "{'loss': 1.2, 'global_step/max_steps': '5/50', 'percentage': '10.00%', 'elapsed_time': '1m 2s', 'remaining_time': '9m 18s'}",
      { step: 5, total: 50, fraction: 0.1, etaSeconds: 558 },
    ],
    ['  5/10 [==============>...............] - ETA: 1s - loss: 0.1', { step: 5, total: 10, fraction: 0.5, etaSeconds: 1 }],
    ['Epoch(train)  [1][  50/500]  lr: 1e-4 eta: 1:02:03', { step: 50, total: 500, fraction: 0.1, etaSeconds: 3723, label: 'epoch 1' }],
    ['Iter(train) [  50/1000]  lr: 1e-4', { step: 50, total: 1000, fraction: 0.05 }],
    ['Loading: 100%|██████████|', { fraction: 1, label: 'Loading' }],
  ];
  for (const [line, want] of cases) {
    it(`reads ${JSON.stringify(line.length > 70 ? line.slice(0, 67) + '...' : line)}`, () => {
      assert.deepEqual(parseProgressLine(line), prog(want));
    });
  }

  it('strips ANSI colours, cursor moves and OSC sequences', () => {
    const colored = '\x1b[A\x1b[2K\x1b[32mTraining\x1b[0m:  24%|\x1b[34m██▍       \x1b[0m| 12/50 [00:31<01:39,  2.61s/it]\x1b]0;title\x07';
    assert.deepEqual(parseProgressLine(colored), prog({ step: 12, total: 50, fraction: 0.24, etaSeconds: 99, rate: '2.61s/it', label: 'Training' }));
    assert.equal(stripAnsi('\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\ \x1b(B\x1b[1;31mred\x1b[m\x1b['), 'link red');
    assert.equal(stripAnsi('a\tb\x07c\x08'), 'a\tbc');
  });

  const negatives = [
    'Saved on 12/05/2025 at 10:00',
    'Add 1/2 cup of sugar',
    'connecting to 192.168.1.1:8080',
    'see http://a/b and https://x.org/1/2',
    'wrote 12/50 files',
    'step 12/05/2025',
    'max_steps 12/50',
    'timestep 5/10',
    'the step 3 of the recipe',
    'beta 5m warmup',
    'eta = 3e-4',
    'Training: 24% done',
    'ratio 12/50 [see above]',
    "{'loss': 0.1, 'grad_norm': 3.0, 'learning_rate': 1e-06, 'epoch': 0.24}",
    '{"step": 12, "loss": 0.1}',
    '2025-06-21 14:00:00,123 INFO trainer.py:12 using 8 GPUs',
    '------------- 21-14-03-27-131777 Accuracy reward: 0.72 -------------',
    'Solution: [103.93, 299.99, 238.15, 477.41]',
    '',
    '   ',
  ];
  for (const line of negatives) {
    it(`does not read progress in ${JSON.stringify(line)}`, () => {
      assert.equal(parseProgressLine(line), null);
    });
  }

  it('reads only the last MAX_LINE_CHARS characters of a very long line', () => {
    const bar = 'Training:  24%|██▍       | 12/50 [00:31<01:39,  2.61s/it]';
    assert.equal(parseProgressLine(bar + ' ' + 'x'.repeat(MAX_LINE_CHARS + 10)), null);
    assert.equal(parseProgressLine('x'.repeat(200_000) + ' ' + bar)?.step, 12);
  });
});

describe('jobs progress: ProgressParser', () => {
  it('follows tqdm redraws (\\r) with dict lines in between', () => {
    const p = new ProgressParser();
    const r = p.push(hfTrainerOutput(12));
    assert.deepEqual(r, prog({ step: 12, total: 50, fraction: 0.24, etaSeconds: 76, rate: '2.00s/it' }));
    assert.deepEqual(p.latest, r);
    assert.equal(formatProgress(p.latest!), 'step 12/50 · 24% · ETA 1:16');
  });

  it('gives the same final result for every split into two chunks (and \\r\\n split apart)', () => {
    const text = `\x1b[32mLoading checkpoint shards\x1b[0m: 100%|██████████| 2/2 [00:03<00:00,  1.5s/it]\n${hfTrainerOutput(7, 20)}\n{'train_runtime': 40.1}\r\n`;
    const whole = feed([text]);
    assert.equal(whole?.step, 7);
    for (let i = 0; i <= text.length; i++) {
      assert.deepEqual(feed([text.slice(0, i), text.slice(i)]), whole, `split at ${i}`);
    }
  });

  it('gives the same final result for every split when the output ends mid-bar (no newline)', () => {
    const text = 'Train:  10%|█         | 5/50 [00:10<01:30,  2.00s/it]\rTrain:  12%|█▏        | 6/50 [00:12<01:28,  2.00s/it]';
    const whole = feed([text]);
    assert.equal(whole?.step, 6);
    assert.equal(whole?.label, 'Train');
    for (let i = 0; i <= text.length; i++) assert.deepEqual(feed([text.slice(0, i), text.slice(i)]), whole, `split at ${i}`);
  });

  it('gives the same final result for random splits into many chunks (property)', () => {
    const text = `${hfTrainerOutput(9, 30)}\n\x1b[1mEpoch 1/3\x1b[0m\nstep 10/30 eta: 40s\n`;
    const whole = feed([text]);
    assert.equal(whole?.step, 10);
    assert.equal(whole?.etaSeconds, 40);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: text.length }), { maxLength: 30 }), (cuts) => {
        const sorted = [...cuts].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const c of sorted) {
          chunks.push(text.slice(prev, c));
          prev = c;
        }
        chunks.push(text.slice(prev));
        assert.deepEqual(feed(chunks), whole);
      }),
      { numRuns: 300 },
    );
  });

  it('parses an unfinished tqdm redraw right away (it ends with "]")', () => {
    const p = new ProgressParser();
    assert.equal(p.push('\r  4%|▍         | 2/50 [00:04<01:36,  2.00s/it]')?.step, 2);
    assert.equal(p.latest?.step, 2);
    // The next redraw starts: the old one is committed.
    assert.equal(p.push('\r  6%|▌         | 3/5')?.step, 2);
    assert.equal(p.latest?.step, 2);
    assert.equal(p.push('0 [00:06<01:34,  2.00s/it]')?.step, 3);
    assert.equal(p.latest?.total, 50);
  });

  it('returns null for a chunk without progress and keeps the latest', () => {
    const p = new ProgressParser();
    p.push('step 3/10\n');
    assert.equal(p.push('some log line\nanother\n'), null);
    assert.equal(p.latest?.step, 3);
  });

  it('uses epoch lines only until a step or bar has been seen', () => {
    const p = new ProgressParser();
    assert.deepEqual(p.push('Epoch 1/3\n'), prog({ step: 1, total: 3, label: 'epoch' }));
    assert.equal(formatProgress(p.latest!), 'epoch 1/3');
    assert.equal(p.push('step 5/100\n')?.step, 5);
    assert.equal(p.push('Epoch 2/3\n'), null);
    assert.equal(p.latest?.step, 5);
  });

  it('ignores helper bars (vLLM prompts, shards, datasets map) once a training bar was seen', () => {
    const p = new ProgressParser();
    assert.equal(p.push('Loading checkpoint shards: 100%|██████████| 2/2 [00:03<00:00,  1.5s/it]\n')?.label, 'Loading checkpoint shards');
    p.push('\r  2%|▏         | 1/50 [00:05<04:05,  5.01s/it]\n');
    assert.equal(p.push('Processed prompts: 100%|██████████| 64/64 [00:05<00:00, 12.1it/s, est. speed input: 100 toks/s]\n'), null);
    assert.equal(p.push('Map (num_proc=8): 100%|██████████| 9000/9000 [00:01<00:00, 8000 examples/s]\n'), null);
    assert.equal(p.latest?.step, 1);
    assert.equal(p.latest?.total, 50);
  });

  it('an ETA-only line updates the ETA of the latest progress', () => {
    const p = new ProgressParser();
    p.push('[step 12/50] loss=0.1\n');
    assert.deepEqual(p.push('ETA 0:01:23\n'), prog({ step: 12, total: 50, fraction: 0.24, etaSeconds: 83 }));
  });

  it('verl console lines give steps without a total', () => {
    const p = new ProgressParser();
    p.push('(TaskRunner pid=4242) step:1 - actor/pg_loss:0.01 - critic/score/mean:0.4\n(TaskRunner pid=4242) step:2 - actor/pg_loss:0.02\n');
    assert.equal(formatProgress(p.latest!), 'step 2');
  });

  it('reset forgets everything', () => {
    const p = new ProgressParser();
    p.push('step 5/100\nEpoch 1/3\n');
    p.reset();
    assert.equal(p.latest, null);
    assert.equal(p.push('Epoch 1/3\n')?.label, 'epoch');
  });

  it('parses 1 MB chunks in linear time (tqdm redraws, long lines, adversarial text)', function () {
    this.timeout(20000);
    const redraws = hfTrainerOutput(400, 100000);
    const big = redraws.repeat(Math.ceil(1_000_000 / redraws.length)).slice(0, 1_000_000);
    const adversarial = [
      big,
      '1/'.repeat(500_000),
      'step '.repeat(200_000),
      '1'.repeat(1_000_000),
      ('12/50 [00:3' + '1:'.repeat(2000) + '\n').repeat(250),
      ('eta 1 ' + '1m '.repeat(1300) + '\r').repeat(250),
      ('\x1b]' + 'a'.repeat(3000) + '\x1b[' + '0;'.repeat(500) + '\n').repeat(250),
      ('  24%|' + '█'.repeat(3990) + '\n').repeat(250),
      ('{' + "'global_step/max_steps': '".repeat(150) + '\n').repeat(250),
      ('[step ' + ' '.repeat(4000) + '\n').repeat(250),
    ];
    for (const text of adversarial) {
      const t0 = Date.now();
      const p = new ProgressParser();
      p.push(text);
      p.push(text.slice(0, 100_000));
      const ms = Date.now() - t0;
      assert.ok(ms < 3000, `${JSON.stringify(text.slice(0, 20))}… took ${ms} ms`);
    }
  });
});

describe('jobs progress: formatting', () => {
  it('formatEta', () => {
    assert.equal(formatEta(0), '0:00');
    assert.equal(formatEta(99), '1:39');
    assert.equal(formatEta(3723), '1:02:03');
    assert.equal(formatEta(93784), '26:03:04');
    assert.equal(formatEta(59.6), '1:00');
    assert.equal(formatEta(-1), '?');
    assert.equal(formatEta(Number.NaN), '?');
  });

  it('formatProgress leaves unknown parts out', () => {
    assert.equal(formatProgress(prog({ step: 12, total: 50, fraction: 0.24, etaSeconds: 99 })), 'step 12/50 · 24% · ETA 1:39');
    assert.equal(formatProgress(prog({ step: 37 })), 'step 37');
    assert.equal(formatProgress(prog({ fraction: 0.24 })), '24%');
    assert.equal(formatProgress(prog({ fraction: 0.29 })), '29%');
    assert.equal(formatProgress(prog({ fraction: 0.999 })), '99%');
    assert.equal(formatProgress(prog({ step: 1, total: 3, label: 'epoch' })), 'epoch 1/3');
    assert.equal(formatProgress(prog({ etaSeconds: 83 })), 'ETA 1:23');
    assert.equal(formatProgress(prog({})), '');
  });

  it('parseDuration', () => {
    assert.equal(parseDuration('5m 3s'), 303);
    assert.equal(parseDuration('1h2m'), 3720);
    assert.equal(parseDuration('2 days'), 172800);
    assert.equal(parseDuration('0:01:23'), 83);
    assert.equal(parseDuration('01:23'), 83);
    assert.equal(parseDuration('soon'), null);
  });
});
