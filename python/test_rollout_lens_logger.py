"""Tests of rollout_lens_logger (standard library only): python3 -m unittest test_rollout_lens_logger"""

import json
import math
import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollout_lens_logger as rl  # noqa: E402


def png_bytes(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x80" * (w * 3) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_bytes(w, h):
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    exif = b"Exif\x00\x00" + b"\x00" * 300  # a segment before SOF to skip
    sof = struct.pack(">BHHB", 8, h, w, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    seg = lambda m, body: b"\xff" + bytes([m]) + struct.pack(">H", len(body) + 2) + body  # noqa: E731
    return b"\xff\xd8" + seg(0xE0, app0) + seg(0xE1, exif) + seg(0xC2, sof) + b"\xff\xd9"


def gif_bytes(w, h):
    return b"GIF89a" + struct.pack("<HH", w, h) + b"\x00\x00\x00;"


def webp_vp8x(w, h):
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8l(w, h):
    bits = (w - 1) | ((h - 1) << 14)
    body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8(w, h):
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", w, h)
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


class Env:
    """Set environment variables for a block."""

    def __init__(self, **kv):
        self.kv = kv
        self.old = {}

    def __enter__(self):
        for k, v in self.kv.items():
            self.old[k] = os.environ.get(k)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="rollout-lens-py-")
        self.dir = self.tmp.name
        self.env = Env(RANK=None, LOCAL_RANK=None, WORLD_SIZE=None, ROLLOUT_LENS_ALL_RANKS=None)
        self.env.__enter__()

    def tearDown(self):
        self.env.__exit__()
        self.tmp.cleanup()

    def write(self, name, data):
        p = os.path.join(self.dir, name)
        with open(p, "wb") as f:
            f.write(data)
        return p


class ImageSizeTest(Base):
    def test_headers(self):
        self.assertEqual(rl.image_size(self.write("a.png", png_bytes(64, 48))), (64, 48))
        self.assertEqual(rl.image_size(self.write("a.jpg", jpeg_bytes(427, 640))), (427, 640))
        self.assertEqual(rl.image_size(self.write("a.gif", gif_bytes(31, 17))), (31, 17))
        self.assertEqual(rl.image_size(self.write("x.webp", webp_vp8x(1000, 700))), (1000, 700))
        self.assertEqual(rl.image_size(self.write("l.webp", webp_vp8l(300, 200))), (300, 200))
        self.assertEqual(rl.image_size(self.write("v.webp", webp_vp8(320, 240))), (320, 240))

    def test_unreadable(self):
        self.assertIsNone(rl.image_size(os.path.join(self.dir, "missing.png")))
        self.assertIsNone(rl.image_size(self.write("t.txt", b"hello world, not an image")))
        self.assertIsNone(rl.image_size(self.write("cut.jpg", b"\xff\xd8\xff\xe0\x00")))

    def test_smart_resize(self):
        # the COCO example of the reference: 427 wide x 640 high -> 420 x 644 (grid 46 x 30)
        self.assertEqual(rl.smart_resize(640, 427), (644, 420))
        h, w = rl.smart_resize(4000, 6000, max_pixels=1003520)
        self.assertLessEqual(h * w, 1003520)
        self.assertEqual((h % 28, w % 28), (0, 0))
        h, w = rl.smart_resize(20, 20)
        self.assertGreaterEqual(h * w, rl.QWEN_MIN_PIXELS)


class LoggerTest(Base):
    def test_groups_rewards_nan_images(self):
        img = self.write("scene.png", png_bytes(64, 48))
        path = os.path.join(self.dir, "out", "train.rollouts.jsonl")
        log = rl.RolloutLensLogger(path, group_size=2, reward_names=["accuracy", "format"], min_pixels=3136, max_pixels=12845056)
        n = log.log(3, ["q1", "q1", "q2", "q2"], ["a", "b", "c", "d"],
                    {"accuracy": [1.0, float("nan"), None, 0.5], "format": [1, 1, 0, float("inf")]},
                    advantages=[0.7, -0.7, float("nan"), None], images=[img, {"path": img}, None, None],
                    references=["[1, 2, 30, 40]", "x", 3, None], sample_ids=["s1", "s1", None, None])
        log.close()
        self.assertEqual(n, 4)
        rows = read_lines(path)
        self.assertEqual([(r["step"], r["group_id"], r["index_in_group"]) for r in rows],
                         [(3, "0", 0), (3, "0", 1), (3, "1", 0), (3, "1", 1)])
        self.assertEqual(rows[0]["rewards"], {"accuracy": 1.0, "format": 1.0})
        self.assertEqual(rows[1]["rewards"], {"accuracy": None, "format": 1.0})
        self.assertEqual(rows[3]["rewards"], {"accuracy": 0.5, "format": None})
        self.assertEqual([r["reward"] for r in rows], [2.0, 1.0, 0.0, 0.5])
        self.assertEqual(rows[0]["advantage"], 0.7)
        self.assertIsNone(rows[2]["advantage"])
        self.assertNotIn("advantage", rows[3])
        self.assertEqual(rows[0]["prompt"]["images"], [{"path": img, "width": 64, "height": 48, "input_width": 56, "input_height": 56}])
        self.assertEqual(rows[2]["prompt"]["images"], [])
        self.assertEqual(rows[0]["reference"], {"answer": "[1, 2, 30, 40]", "boxes": [{"bbox": [1.0, 2.0, 30.0, 40.0], "frame": "original"}]})
        self.assertEqual(rows[2]["reference"], {"answer": 3})
        self.assertNotIn("reference", rows[3])
        self.assertEqual(rows[0]["sample_id"], "s1")
        # stable hash of prompt + image paths: same prompt, same images -> same id
        self.assertEqual(rows[2]["sample_id"], rows[3]["sample_id"])
        self.assertEqual(len(rows[2]["sample_id"]), 16)

    def test_group_ordinals_continue_within_a_step(self):
        path = os.path.join(self.dir, "a.rollouts.jsonl")
        with rl.RolloutLensLogger(path, group_size=2) as log:
            log.log(0, ["p", "p"], ["a", "b"], {"r": [1, 0]})
            log.log(0, ["q", "q"], ["c", "d"], {"r": [1, 1]})
            log.log(1, ["p", "p"], ["e", "f"], {"r": [0, 0]})
        rows = read_lines(path)
        self.assertEqual([(r["step"], r["group_id"], r["index_in_group"]) for r in rows],
                         [(0, "0", 0), (0, "0", 1), (0, "1", 0), (0, "1", 1), (1, "0", 0), (1, "0", 1)])

    def test_groups_without_group_size_and_explicit_ids(self):
        path = os.path.join(self.dir, "b.rollouts.jsonl")
        with rl.RolloutLensLogger(path) as log:
            log.log(5, ["p", "p", "p", "q"], ["a", "b", "c", "d"], {"r": [1, 0, 1, 0]})
            log.log(6, ["x", "y", "x"], ["a", "b", "c"], {"r": [1, 0, 1]}, group_ids=["u1", "u2", "u1"])
        rows = read_lines(path)
        self.assertEqual([(r["group_id"], r["index_in_group"]) for r in rows],
                         [("0", 0), ("0", 1), ("0", 2), ("1", 0), ("u1", 0), ("u2", 0), ("u1", 1)])

    def test_chat_messages(self):
        path = os.path.join(self.dir, "c.rollouts.jsonl")
        img = self.write("m.png", png_bytes(10, 20))
        prompt = [{"role": "system", "content": "sys"},
                  {"role": "user", "content": [{"type": "image", "image": img}, {"type": "text", "text": "How many?"}]}]
        with rl.RolloutLensLogger(path, group_size=1) as log:
            log.log(0, [prompt], [[{"role": "assistant", "content": "<answer>2</answer>"}]], {"acc": [1.0]})
        row = read_lines(path)[0]
        self.assertEqual(row["prompt"]["text"], "sys\nHow many?")
        self.assertEqual(row["prompt"]["images"], [{"path": img, "width": 10, "height": 20}])
        self.assertEqual(row["completion"], "<answer>2</answer>")

    def test_length_mismatch_raises(self):
        log = rl.RolloutLensLogger(os.path.join(self.dir, "d.jsonl"))
        with self.assertRaises(ValueError):
            log.log(0, ["p"], ["a", "b"], {})
        with self.assertRaises(ValueError):
            log.log(0, ["p", "p"], ["a", "b"], {"r": [1]})

    def test_only_rank_zero_writes_unless_told(self):
        path = os.path.join(self.dir, "e.rollouts.jsonl")
        with Env(RANK="1", WORLD_SIZE="2"):
            self.assertEqual(rl.RolloutLensLogger(path, group_size=4).log(0, ["p"] * 2, ["a", "b"], {"r": [1, 0]}), 0)
            self.assertFalse(os.path.exists(path))
            # every rank: rank 1 holds the second half of group 0 (2 rows per rank, G = 4)
            w1 = rl.RolloutLensLogger(path, group_size=4, all_ranks=True)
            w1.log(0, ["p"] * 2, ["c", "d"], {"r": [1, 0]})
            w1.close()
        with Env(LOCAL_RANK="0", RANK=None, WORLD_SIZE="2", ROLLOUT_LENS_ALL_RANKS="1"):
            w0 = rl.RolloutLensLogger(path, group_size=4)
            self.assertTrue(w0.all_ranks)
            w0.log(0, ["p"] * 2, ["a", "b"], {"r": [1, 0]})
            w0.close()
        rows = read_lines(path)
        self.assertEqual(sorted((r["completion"], r["group_id"], r["index_in_group"]) for r in rows),
                         [("a", "0", 0), ("b", "0", 1), ("c", "0", 2), ("d", "0", 3)])

    def test_valid_json_always(self):
        path = os.path.join(self.dir, "f.rollouts.jsonl")
        with rl.RolloutLensLogger(path, group_size=1) as log:
            log.log(0, ["p"], ["a"], {"r": [float("-inf")]}, extra=[{"tokens": 5, "ratio": float("nan"), "ok": True}])
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("NaN", text)
        self.assertNotIn("Infinity", text)
        row = json.loads(text)
        self.assertEqual(row["extra"], {"tokens": 5, "ratio": None, "ok": True})
        self.assertIsNone(row["reward"])


class GlueTest(Base):
    def test_make_reward_logger_trl_style(self):
        path = os.path.join(self.dir, "trl.rollouts.jsonl")

        def accuracy_reward(prompts, completions, solution, **kwargs):
            return [1.0 if c == s else 0.0 for c, s in zip(completions, solution)]

        class State:
            global_step = 7

        f = rl.make_reward_logger(path, group_size=2, reward_funcs=[accuracy_reward])
        out = f(prompts=["p", "p"], completions=["3", "4"], solution=["3", "3"], trainer_state=State(), completion_ids=[[1], [2]])
        self.assertEqual(out, [0.0, 0.0])
        self.assertEqual(f.__name__, "rollout_lens_log")
        f.logger.close()
        rows = read_lines(path)
        self.assertEqual([r["rewards"] for r in rows], [{"accuracy_reward": 1.0}, {"accuracy_reward": 0.0}])
        self.assertEqual([r["step"] for r in rows], [7, 7])
        self.assertEqual(rows[0]["reference"], {"answer": "3"})

    def test_make_reward_logger_vlm_r1_style(self):
        path = os.path.join(self.dir, "vlmr1.rollouts.jsonl")
        img = self.write("coco.jpg", jpeg_bytes(427, 640))
        f = rl.make_reward_logger(path, group_size=2, min_pixels=3136, max_pixels=12845056)
        f(prompts=[[{"role": "user", "content": "the lady"}]] * 2, completions=[[{"content": "x"}], [{"content": "y"}]],
          solution=["[103.93, 299.99, 238.15, 477.41]"] * 2, image_path=[[img], [img]], problem=["the lady"] * 2)
        f(prompts=["q"] * 2, completions=["z", "w"], solution=["1", "2"])
        f.logger.close()
        rows = read_lines(path)
        self.assertEqual([r["step"] for r in rows], [0, 0, 1, 1])  # batch ordinals without trainer_state
        self.assertEqual(rows[0]["prompt"]["images"][0], {"path": img, "width": 427, "height": 640, "input_width": 420, "input_height": 644})
        self.assertEqual(rows[0]["reference"]["boxes"][0]["bbox"], [103.93, 299.99, 238.15, 477.41])
        self.assertEqual(rows[0]["completion"], "x")

    def test_wrap_reward_funcs(self):
        path = os.path.join(self.dir, "wrap.rollouts.jsonl")

        def accuracy(completions, solution, **kwargs):
            return [1.0 if c == s else 0.0 for c, s in zip(completions, solution)]

        def fmt(completions, **kwargs):
            return [None, 0.5]

        funcs = rl.wrap_reward_funcs(path, [accuracy, fmt, "some/reward-model"], group_size=2)
        self.assertEqual([getattr(x, "__name__", x) for x in funcs], ["accuracy", "fmt", "some/reward-model"])
        self.assertEqual(funcs[0](prompts=["p", "p"], completions=["1", "2"], solution=["1", "1"]), [1.0, 0.0])
        self.assertFalse(os.path.exists(path))  # written after the last function
        self.assertEqual(funcs[1](prompts=["p", "p"], completions=["1", "2"], solution=["1", "1"]), [None, 0.5])
        funcs[0].logger.close()
        rows = read_lines(path)
        self.assertEqual([r["rewards"] for r in rows], [{"accuracy": 1.0, "fmt": None}, {"accuracy": 0.0, "fmt": 0.5}])
        self.assertEqual([r["reward"] for r in rows], [1.0, 0.5])

    def test_log_batch(self):
        path = os.path.join(self.dir, "verl.rollouts.jsonl")
        rl.log_batch(path, 12, ["a", "b", "a"], ["x", "y", "z"], {"score": [0.9, 0.1, math.nan]},
                     group_ids=["u1", "u2", "u1"], references=["6", "7", "6"])
        rl.log_batch(path, 13, ["a"], ["x"], {"score": [1.0]}, group_ids=["u3"])
        for lg in rl._LOGGERS.values():
            lg.close()
        rows = read_lines(path)
        self.assertEqual(len(rows), 4)
        self.assertEqual([(r["step"], r["group_id"], r["index_in_group"]) for r in rows],
                         [(12, "u1", 0), (12, "u2", 0), (12, "u1", 1), (13, "u3", 0)])
        self.assertIsNone(rows[2]["rewards"]["score"])


if __name__ == "__main__":
    unittest.main()
