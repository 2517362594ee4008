"""Rollout Lens logger: write GRPO rollouts as rollout-lens JSONL, one completion per line.

Standard library only (Python 3.8+). Drop this file next to your training script. The format is
described in docs/format-and-cli.md and schema/rollout-lens.schema.json of Rollout Lens.

Usage
-----
TRL ``GRPOTrainer`` or VLM-R1 (``src/open_r1/grpo_jsonl.py``): wrap your reward functions. They run
as before (same names, same values); after the last one of a batch, the batch is written with every
reward::

    from rollout_lens_logger import wrap_reward_funcs
    reward_funcs = wrap_reward_funcs("runs/exp1/train.rollouts.jsonl",
                                     [accuracy_reward, format_reward], group_size=8)
    trainer = GRPOTrainer(model=..., reward_funcs=reward_funcs, args=training_args, ...)

Or append a logging reward that returns 0.0 for every completion (give it weight 0 in
``reward_weights`` if you use weights). It sees only its own inputs, so pass the reward functions
whose values you want logged (they are computed a second time)::

    reward_funcs = [accuracy_reward, format_reward,
                    make_reward_logger("runs/exp1/train.rollouts.jsonl", group_size=8,
                                       reward_funcs=[accuracy_reward, format_reward])]

verl (from a custom reward manager, or the trainer after advantages are computed)::

    from rollout_lens_logger import log_batch
    log_batch("rollouts/train.rollouts.jsonl", step, prompts, completions, {"score": scores},
              advantages=advantages, group_ids=batch.non_tensor_batch["uid"], references=gts)

Anything else::

    logger = RolloutLensLogger("train.rollouts.jsonl", group_size=8, reward_names=["accuracy", "format"])
    logger.log(step, prompts, completions, {"accuracy": acc, "format": fmt},
               advantages=adv, images=image_paths, references=solutions)

Groups: consecutive blocks of ``group_size`` rows form one group (the order TRL, VLM-R1 and ms-swift
use); without ``group_size``, consecutive rows with the same prompt and images do; ``group_ids``
overrides both. Only rank 0 writes (``RANK`` / ``LOCAL_RANK``) unless ``all_ranks=True`` or
``ROLLOUT_LENS_ALL_RANKS=1``; then every rank appends to the same file, one ``write`` per line, and
group ids assume each rank holds the next contiguous slice of the batch (as TRL and VLM-R1 do).
Image sizes are read from the PNG / JPEG / GIF / WebP header. Give ``min_pixels`` / ``max_pixels``
(the run's processor settings) to also write the Qwen2.5-VL model-input size, so that boxes the model
writes in resized pixels are mapped back exactly. NaN, infinite or missing rewards are written as null.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import struct
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = [
    "RolloutLensLogger",
    "make_reward_logger",
    "wrap_reward_funcs",
    "log_batch",
    "image_size",
    "smart_resize",
]

QWEN_MIN_PIXELS = 4 * 28 * 28  # 3136
QWEN_MAX_PIXELS = 16384 * 28 * 28  # 12845056


# ---------------------------------------------------------------------------------------------------
# Image headers


def image_size(path: str) -> Optional[Tuple[int, int]]:
    """(width, height) from a PNG, JPEG, GIF or WebP header, or None when unreadable or another format."""
    try:
        with open(path, "rb") as f:
            head = f.read(32)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                return struct.unpack(">II", head[16:24])
            if head[:6] in (b"GIF87a", b"GIF89a"):
                return struct.unpack("<HH", head[6:10])
            if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
                return _webp_size(head + f.read(32))
            if head[:2] == b"\xff\xd8":
                f.seek(2)
                return _jpeg_size(f)
    except (OSError, struct.error):
        return None
    return None


def _webp_size(b: bytes) -> Optional[Tuple[int, int]]:
    kind = b[12:16]
    if kind == b"VP8 " and len(b) >= 30:
        w, h = struct.unpack("<HH", b[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L" and len(b) >= 25:
        bits = int.from_bytes(b[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(b) >= 30:
        return int.from_bytes(b[24:27], "little") + 1, int.from_bytes(b[27:30], "little") + 1
    return None


def _jpeg_size(f: Any) -> Optional[Tuple[int, int]]:
    while True:
        byte = f.read(1)
        while byte and byte != b"\xff":
            byte = f.read(1)
        while byte == b"\xff":
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # no length
        if marker == 0xD9:
            return None
        seg = f.read(2)
        if len(seg) < 2:
            return None
        length = struct.unpack(">H", seg)[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            data = f.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        f.seek(length - 2, 1)


def smart_resize(height: int, width: int, factor: int = 28, min_pixels: int = QWEN_MIN_PIXELS,
                 max_pixels: int = QWEN_MAX_PIXELS) -> Tuple[int, int]:
    """Qwen2.5-VL's resize (qwen-vl-utils): (height, width) of the model input, multiples of ``factor``."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


# ---------------------------------------------------------------------------------------------------
# Values


def _rank() -> int:
    for var in ("RANK", "LOCAL_RANK"):
        v = os.environ.get(var)
        if v not in (None, ""):
            try:
                return int(v)
            except ValueError:
                pass
    return 0


def _world_size() -> int:
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1") or 1))
    except ValueError:
        return 1


def _to_list(x: Any) -> Any:
    """Tensors / numpy arrays → lists; other values unchanged."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu") and callable(getattr(x, "cpu")):
        x = x.cpu()
    if hasattr(x, "tolist") and callable(getattr(x, "tolist")):
        return x.tolist()
    return x


def _number(x: Any) -> Optional[float]:
    """A finite float, or None (None, NaN, ±inf, non-numbers)."""
    x = _to_list(x)
    if x is None or isinstance(x, bool):
        return None if x is None else float(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _clean(v: Any) -> Any:
    """JSON-safe copy: NaN / inf → None, tensors → lists, unknown objects → str."""
    v = _to_list(v)
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    n = _number(v)
    return n if n is not None else str(v)


def _text(x: Any) -> str:
    """Plain text of a prompt or completion: a string, or chat messages ({role, content}) joined."""
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    if isinstance(x, dict):
        return _text(x.get("content", x.get("text", x.get("value", ""))))
    if isinstance(x, (list, tuple)):
        parts = []
        for m in x:
            if isinstance(m, dict) and m.get("type") not in (None, "text"):
                continue  # image parts
            t = _text(m)
            if t:
                parts.append(t)
        return "\n".join(parts)
    return str(x)


def _message_images(x: Any) -> List[Any]:
    """Image parts of chat messages ({"type": "image", "image": path}), in order."""
    out: List[Any] = []
    if isinstance(x, dict):
        if x.get("type") == "image":
            img = x.get("image", x.get("path", x.get("url")))
            if img is not None:
                out.append(img)
        c = x.get("content")
        if isinstance(c, (list, tuple)):
            out.extend(_message_images(list(c)))
    elif isinstance(x, (list, tuple)):
        for m in x:
            out.extend(_message_images(m))
    return out


def _reference(r: Any) -> Optional[dict]:
    """A reference object: {answer} for text, {boxes} for a 4-number box (or a JSON string of one)."""
    r = _to_list(r)
    if r is None:
        return None
    if isinstance(r, dict) and ("answer" in r or "boxes" in r):
        return _clean(r)
    box = None
    if isinstance(r, (list, tuple)) and len(r) == 4 and all(_number(v) is not None for v in r):
        box = [_number(v) for v in r]
    elif isinstance(r, str):
        s = r.strip()
        if s.startswith("[") and s.endswith("]"):
            try:
                v = json.loads(s)
                if isinstance(v, list) and len(v) == 4 and all(_number(x) is not None for x in v):
                    box = [_number(x) for x in v]
            except ValueError:
                pass
    if isinstance(r, (str, int, float)) and not isinstance(r, bool):
        out: dict = {"answer": r if isinstance(r, str) else _clean(r)}
    elif isinstance(r, bool):
        out = {"answer": r}
    else:
        out = {"answer": json.dumps(_clean(r), ensure_ascii=False)}
    if box is not None:
        out["boxes"] = [{"bbox": box, "frame": "original"}]
    return out


# ---------------------------------------------------------------------------------------------------
# Logger


class RolloutLensLogger:
    """Appends rows of rollout-lens JSONL to ``path``.

    group_size: completions per prompt (G); consecutive blocks of G rows form a group.
    reward_names: reward columns always written (a missing one is null), in this order first.
    reward_weights: {name: weight} for the total ``reward`` (default 1 each; null rewards are skipped).
    min_pixels / max_pixels: the run's processor limits; when given, the Qwen2.5-VL model-input size
        (``input_width`` / ``input_height``) is written next to each image's size.
    all_ranks: let every rank write (default: rank 0 only; env ROLLOUT_LENS_ALL_RANKS=1 turns it on).
    """

    def __init__(self, path: str, group_size: Optional[int] = None, reward_names: Optional[Sequence[str]] = None,
                 reward_weights: Optional[Dict[str, float]] = None, min_pixels: Optional[int] = None,
                 max_pixels: Optional[int] = None, all_ranks: Optional[bool] = None, rank: Optional[int] = None):
        self.path = os.fspath(path)
        self.group_size = int(group_size) if group_size else None
        self.reward_names = list(reward_names or [])
        self.reward_weights = dict(reward_weights or {})
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        if all_ranks is None:
            all_ranks = os.environ.get("ROLLOUT_LENS_ALL_RANKS", "").lower() in ("1", "true", "yes")
        self.all_ranks = bool(all_ranks)
        self.rank = _rank() if rank is None else int(rank)
        self.enabled = self.all_ranks or self.rank == 0
        self._fd: Optional[int] = None
        self._lock = threading.Lock()
        self._step: Any = None
        self._rows_in_step = 0
        self._groups_in_step = 0
        self._sizes: Dict[str, Optional[Tuple[int, int]]] = {}

    # -- file ---------------------------------------------------------------------------------------

    def _write_line(self, obj: dict) -> None:
        data = (json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        if self._fd is None:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        view = memoryview(data)
        while view:  # one write per line; a short write (rare) is finished at once
            n = os.write(self._fd, view)
            view = view[n:]

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "RolloutLensLogger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- rows ---------------------------------------------------------------------------------------

    def _image_entry(self, img: Any) -> Optional[dict]:
        w = h = None
        if isinstance(img, dict):
            p = img.get("path")
            w, h = img.get("width"), img.get("height")
        elif isinstance(img, (str, os.PathLike)):
            p = os.fspath(img)
        else:  # PIL image opened from a file: .filename and .size
            p = getattr(img, "filename", None)
            size = getattr(img, "size", None)
            if isinstance(size, tuple) and len(size) == 2:
                w, h = size
        if not p:
            return None
        p = str(p)
        if not (w and h):
            if p not in self._sizes:
                if len(self._sizes) > 100000:
                    self._sizes.clear()
                self._sizes[p] = image_size(p)
            size = self._sizes[p]
            if size:
                w, h = size
        entry: dict = {"path": p}
        if w and h:
            entry["width"], entry["height"] = int(w), int(h)
            if self.min_pixels or self.max_pixels:
                ih, iw = smart_resize(int(h), int(w), min_pixels=self.min_pixels or QWEN_MIN_PIXELS,
                                      max_pixels=self.max_pixels or QWEN_MAX_PIXELS)
                entry["input_width"], entry["input_height"] = iw, ih
        return entry

    def _images_of_row(self, imgs: Any, prompt: Any) -> List[dict]:
        imgs = _to_list(imgs)
        if imgs is None:
            imgs = _message_images(prompt)
        elif not isinstance(imgs, (list, tuple)):
            imgs = [imgs]
        out = []
        for img in imgs:
            if isinstance(img, (list, tuple)):  # nested lists (VLM-R1 image_path per sample)
                out.extend(e for e in (self._image_entry(x) for x in img) if e)
            else:
                e = self._image_entry(img)
                if e:
                    out.append(e)
        return out

    def log(self, step: int, prompts: Sequence[Any], completions: Sequence[Any],
            rewards: Optional[Dict[str, Sequence[Any]]] = None, advantages: Optional[Sequence[Any]] = None,
            images: Optional[Sequence[Any]] = None, sample_ids: Optional[Sequence[Any]] = None,
            references: Optional[Sequence[Any]] = None, group_ids: Optional[Sequence[Any]] = None,
            extra: Optional[Sequence[Optional[dict]]] = None) -> int:
        """Write one batch; returns the number of rows written (0 on ranks that do not write).

        prompts / completions: strings or chat messages, one per row. rewards: {name: one value per row}
        (None / NaN → null). advantages, sample_ids, references, group_ids, extra: one per row.
        images: per row a path, a list of paths, {path, width, height} dicts or PIL images with a filename.
        """
        if not self.enabled:
            return 0
        prompts = list(_to_list(prompts))
        completions = list(_to_list(completions))
        n = len(completions)
        if len(prompts) != n:
            raise ValueError("prompts and completions differ in length: %d vs %d" % (len(prompts), n))
        cols: Dict[str, List[Any]] = {}
        for name in self.reward_names:
            cols[name] = [None] * n
        for name, values in (rewards or {}).items():
            values = list(_to_list(values)) if values is not None else [None] * n
            if len(values) != n:
                raise ValueError("reward %r has %d values for %d completions" % (name, len(values), n))
            cols[str(name)] = values

        def per_row(xs: Any, what: str) -> List[Any]:
            if xs is None:
                return [None] * n
            xs = list(_to_list(xs))
            if len(xs) != n:
                raise ValueError("%s has %d values for %d completions" % (what, len(xs), n))
            return xs

        advs = per_row(advantages, "advantages")
        imgs = per_row(images, "images")
        sids = per_row(sample_ids, "sample_ids")
        refs = per_row(references, "references")
        gids = per_row(group_ids, "group_ids") if group_ids is not None else None
        extras = per_row(extra, "extra")

        with self._lock:
            step = int(step)
            if step != self._step:
                self._step, self._rows_in_step, self._groups_in_step = step, 0, 0
            prompt_texts = [_text(p) for p in prompts]
            row_images = [self._images_of_row(imgs[i], prompts[i]) for i in range(n)]
            group, index = self._assign_groups(n, prompt_texts, row_images, gids)
            for i in range(n):
                row_rewards = {name: _number(col[i]) for name, col in cols.items()}
                known = [(name, v) for name, v in row_rewards.items() if v is not None]
                total = sum(v * float(self.reward_weights.get(name, 1.0)) for name, v in known) if known else None
                paths = [im["path"] for im in row_images[i]]
                sid = sids[i]
                if sid is None:
                    sid = hashlib.sha1(("\0".join([prompt_texts[i]] + paths)).encode("utf-8")).hexdigest()[:16]
                obj: dict = {
                    "step": step,
                    "group_id": group[i],
                    "index_in_group": index[i],
                    "sample_id": sid if isinstance(sid, (str, int, float)) and not isinstance(sid, bool) else str(sid),
                    "prompt": {"text": prompt_texts[i], "images": row_images[i]},
                    "completion": _text(completions[i]),
                    "rewards": row_rewards,
                    "reward": total,
                }
                ref = _reference(refs[i])
                if ref is not None:
                    obj["reference"] = ref
                adv = _number(advs[i])
                if advs[i] is not None:
                    obj["advantage"] = adv
                if isinstance(extras[i], dict) and extras[i]:
                    obj["extra"] = _clean(extras[i])
                self._write_line(obj)
            self._rows_in_step += n
        return n

    def _assign_groups(self, n: int, texts: List[str], images: List[List[dict]],
                       gids: Optional[List[Any]]) -> Tuple[List[str], List[int]]:
        group: List[str] = []
        index: List[int] = []
        if gids is not None:
            seen: Dict[str, int] = {}
            for g in gids:
                key = str(g)
                index.append(seen.get(key, 0))
                seen[key] = seen.get(key, 0) + 1
                group.append(key)
            return group, index
        if self.group_size:
            g = self.group_size
            world, rank = (_world_size(), self.rank) if self.all_ranks else (1, 0)
            base = self._rows_in_step * world + rank * n
            for i in range(n):
                group.append(str((base + i) // g))
                index.append((base + i) % g)
            return group, index
        # no group size: runs of the same prompt and images
        prev = None
        k = -1
        pos = 0
        for i in range(n):
            key = (texts[i], tuple(im["path"] for im in images[i]))
            if key != prev:
                k += 1
                pos = 0
                prev = key
            group.append(str(self._groups_in_step + k) if not self.all_ranks else "%d-r%d" % (self._groups_in_step + k, self.rank))
            index.append(pos)
            pos += 1
        self._groups_in_step += k + 1
        return group, index


# ---------------------------------------------------------------------------------------------------
# Trainer glue


def _step_of(kwargs: Dict[str, Any], counter: List[int]) -> int:
    """TRL passes ``trainer_state`` to reward functions (recent versions): use its global_step.
    Otherwise the number of batches logged so far (a batch ordinal, not the optimizer step)."""
    state = kwargs.get("trainer_state")
    step = getattr(state, "global_step", None)
    if isinstance(step, int):
        return step
    counter[0] += 1
    return counter[0] - 1


def _batch_extras(n: int, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Images, references and ids from the dataset columns TRL / VLM-R1 pass as keyword arguments."""
    out: Dict[str, Any] = {}
    for k in ("image_path", "image_paths", "images", "image"):
        v = kwargs.get(k)
        if v is not None and len(_to_list(v)) == n:
            out["images"] = v
            break
    for k in ("solution", "answer", "ground_truth", "reference"):
        v = kwargs.get(k)
        if v is not None and len(_to_list(v)) == n:
            out["references"] = v
            break
    for k in ("sample_id", "id"):
        v = kwargs.get(k)
        if v is not None and len(_to_list(v)) == n:
            out["sample_ids"] = v
            break
    return out


def _func_name(f: Any) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def make_reward_logger(path: str, group_size: Optional[int] = None, reward_funcs: Optional[Sequence[Callable]] = None,
                       name: str = "rollout_lens_log", **logger_kwargs: Any) -> Callable[..., List[float]]:
    """A reward function that logs its batch and returns 0.0 for every completion.

    Works with TRL (``f(prompts, completions, **kwargs)``) and VLM-R1 (``f(completions, solution, **kwargs)``,
    called with keywords). ``reward_funcs``: functions whose values are logged too (called again on the
    same arguments). Images come from the ``image_path`` / ``images`` / ``image`` column, references from
    ``solution`` / ``answer``, ids from ``id`` / ``sample_id``.
    """
    logger = RolloutLensLogger(path, group_size=group_size,
                               reward_names=[_func_name(f) for f in (reward_funcs or [])], **logger_kwargs)
    counter = [0]

    def rollout_lens_log(prompts: Any = None, completions: Any = None, **kwargs: Any) -> List[float]:
        completions = list(completions or [])
        n = len(completions)
        prompts = list(prompts) if prompts is not None else [kwargs.get("problem", [""] * n)[i] for i in range(n)]
        rewards = {}
        for f in reward_funcs or []:
            try:
                rewards[_func_name(f)] = f(prompts=prompts, completions=completions, **kwargs)
            except Exception as e:  # the logger never breaks training
                rewards[_func_name(f)] = [None] * n
                print("rollout_lens_logger: %s failed: %s" % (_func_name(f), e))
        step = _step_of(kwargs, counter)
        try:
            logger.log(step, prompts, completions, rewards, **_batch_extras(n, kwargs))
        except Exception as e:  # noqa: BLE001
            print("rollout_lens_logger: could not log: %s" % e)
        return [0.0] * n

    rollout_lens_log.__name__ = name
    rollout_lens_log.logger = logger  # type: ignore[attr-defined]
    return rollout_lens_log


def wrap_reward_funcs(path: str, reward_funcs: Sequence[Any], group_size: Optional[int] = None,
                      **logger_kwargs: Any) -> List[Any]:
    """Wrap reward functions so that each batch is logged once all of them have run.

    Returns the list to pass to the trainer: callables are wrapped (same ``__name__``, same return values);
    anything else (a reward model id) is passed through and not logged.
    """
    names = [_func_name(f) for f in reward_funcs if callable(f) and not isinstance(f, str)]
    logger = RolloutLensLogger(path, group_size=group_size, reward_names=names, **logger_kwargs)
    pending: Dict[str, Any] = {"values": {}, "args": None}
    counter = [0]
    lock = threading.Lock()

    def flush() -> None:
        args = pending["args"]
        if args is None:
            return
        prompts, completions, kwargs = args
        n = len(completions)
        try:
            logger.log(_step_of(kwargs, counter), prompts, completions, dict(pending["values"]),
                       **_batch_extras(n, kwargs))
        except Exception as e:  # noqa: BLE001
            print("rollout_lens_logger: could not log: %s" % e)
        pending["values"], pending["args"] = {}, None

    def wrap(f: Callable) -> Callable:
        fname = _func_name(f)

        @functools.wraps(f)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            out = f(*args, **kwargs)
            with lock:
                if fname in pending["values"]:
                    flush()  # the previous batch never completed (a function raised): write what it had
                completions = kwargs.get("completions", args[1] if len(args) > 1 else args[0] if args else [])
                prompts = kwargs.get("prompts", args[0] if len(args) > 1 else None)
                completions = list(completions)
                if prompts is None:
                    prompts = kwargs.get("problem") or [""] * len(completions)
                pending["args"] = (list(prompts), completions, kwargs)
                pending["values"][fname] = out
                if len(pending["values"]) == len(names):
                    flush()
            return out

        if not hasattr(wrapped, "__name__"):
            wrapped.__name__ = fname  # type: ignore[attr-defined]
        return wrapped

    wrapped_funcs = [wrap(f) if callable(f) and not isinstance(f, str) else f for f in reward_funcs]
    for w in wrapped_funcs:
        try:
            w.logger = logger  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return wrapped_funcs


_LOGGERS: Dict[Tuple[str, Optional[int]], RolloutLensLogger] = {}


def log_batch(path: str, step: int, prompts: Sequence[Any], completions: Sequence[Any],
              rewards: Optional[Dict[str, Sequence[Any]]] = None, group_size: Optional[int] = None,
              **kwargs: Any) -> int:
    """One call, no object to keep (verl and custom loops): ``RolloutLensLogger(path, group_size).log(...)``
    with the logger kept per path. Keyword arguments are those of ``RolloutLensLogger.log``
    (advantages, images, sample_ids, references, group_ids, extra)."""
    key = (os.path.abspath(os.fspath(path)), group_size)
    logger = _LOGGERS.get(key)
    if logger is None:
        logger = _LOGGERS[key] = RolloutLensLogger(path, group_size=group_size)
    return logger.log(step, prompts, completions, rewards, **kwargs)
