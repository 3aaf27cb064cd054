"""A decode loop for MusicGen built for GPUs, beside the plain `generate` path.

transformers still loads the weights and runs T5 and EnCodec; this module runs the decoder's
autoregressive loop itself, on state allocated once for the whole window:
- the self-attention keys and values of every layer live in one preallocated cache; each step writes
  its column and attends over the cache with a position mask, so every step has the same shapes;
- the cross-attention keys and values of the text are computed once, before the first step;
- classifier-free guidance, temperature, top-k, top-p, sampling (Gumbel-max: the same distribution as
  multinomial) and the codebook delay pattern all run on the device;
- the step position lives on the device and advances inside the step, so the host only launches work
  and never waits for a token; on CUDA the whole step is captured as a CUDA graph and replayed;
- attention reads the cache only up to the next multiple of `bucket` positions past the step, not the
  whole window (at batch 32 the cache, not the weights, is most of the bytes a step reads); on CUDA
  each bucket has its own graph, all captured before the first replay;
- the query, key and value projections of self-attention run as one matrix product.
The arithmetic is the decoder's own (same modules, same order), so greedy decoding gives the plain
path's tokens and sampling draws from the same per-step distribution (tests/test_musicgen_fast.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)


@dataclass
class Sampling:
    guidance: float = 3.0
    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0
    greedy: bool = False


class FastDecoder:
    """The decode loop for one loaded MusicgenForConditionalGeneration, one batch shape and one length."""

    bucket = 256  # cache positions attended per step, rounded up to this
    fuse_qkv = True
    compile_step = False  # torch.compile the decoder (experimental: one compile per bucket)

    def __init__(self, model, rows: int, max_length: int, sampling: Sampling, *, use_graph: bool | None = None):
        self.model = model
        self.decoder = model.decoder.model.decoder
        self.heads = model.decoder.lm_heads
        self.k = model.decoder.num_codebooks
        self.rows = rows  # conditional rows (clips in the batch)
        self.cfg = sampling.guidance > 1.0
        self.n = rows * (2 if self.cfg else 1)  # rows the decoder runs (conditional, then unconditional)
        self.max_length = max_length
        self.sampling = sampling
        param = next(self.decoder.parameters())
        self.device, self.dtype = param.device, param.dtype
        layer = self.decoder.layers[0].self_attn
        self.heads_n, self.head_dim = layer.num_heads, layer.head_dim
        self.use_graph = self.device.type == "cuda" if use_graph is None else use_graph
        self.graph = None
        self.scores_log: list[torch.Tensor] | None = None  # per-step guided scores, for tests

    # --- state ---------------------------------------------------------------------------------
    def _allocate(self, encoder_hidden: torch.Tensor, encoder_mask: torch.Tensor | None) -> None:
        shape = (self.n, self.heads_n, self.max_length, self.head_dim)
        layers = self.decoder.layers
        self.cache_k = [torch.zeros(shape, device=self.device, dtype=self.dtype) for _ in layers]
        self.cache_v = [torch.zeros(shape, device=self.device, dtype=self.dtype) for _ in layers]
        self.cross_k, self.cross_v = [], []
        for layer in layers:  # the text's keys and values, once for the whole window
            attn = layer.encoder_attn
            kv_shape = (*encoder_hidden.shape[:-1], -1, self.head_dim)
            self.cross_k.append(attn.k_proj(encoder_hidden).view(kv_shape).transpose(1, 2).contiguous())
            self.cross_v.append(attn.v_proj(encoder_hidden).view(kv_shape).transpose(1, 2).contiguous())
        if encoder_mask is not None:
            additive = torch.zeros(encoder_mask.shape, device=self.device, dtype=self.dtype)
            additive.masked_fill_(encoder_mask == 0, torch.finfo(self.dtype).min)
            self.cross_mask = additive[:, None, None, :]
        else:
            self.cross_mask = None
        positions = self.decoder.embed_positions
        if positions.weights.size(0) < self.max_length:
            positions.make_weights(self.max_length, positions.embedding_dim)
        self.position_table = positions.weights[: self.max_length].to(self.device, self.dtype)
        self.slots = torch.arange(self.max_length, device=self.device)
        self.qkv = []
        if self.fuse_qkv:
            for layer in layers:
                attn = layer.self_attn
                parts = (attn.q_proj, attn.k_proj, attn.v_proj)
                weight = torch.cat([p.weight for p in parts])
                bias = None if attn.q_proj.bias is None else torch.cat(
                    [p.bias if p.bias is not None else torch.zeros_like(attn.q_proj.bias) for p in parts])
                self.qkv.append((weight, bias))
        self.forward = torch.compile(self._scores_for, dynamic=False) if self.compile_step else self._scores_for

    def limit(self, position: int) -> int:
        """Cache positions a step at `position` attends over: past it, rounded up to a bucket."""
        return min(self.max_length, -(-(position + 1) // self.bucket) * self.bucket)

    # --- one step ------------------------------------------------------------------------------
    def _hidden(self, ids: torch.Tensor, start: torch.Tensor, length: int, limit: int) -> torch.Tensor:
        """Decoder output for `length` new tokens per row, `ids` (n, K, length), written to the cache
        at positions start .. start+length-1 (`start`: a 1-element device tensor); attention reads cache
        positions below `limit`, which must lie past the last new token."""
        embeds = sum(self.decoder.embed_tokens[c](ids[:, c]) for c in range(self.k))
        where = start + torch.arange(length, device=self.device)
        hidden = embeds + self.position_table.index_select(0, where)[None]
        # token i attends to every cached position up to start + i
        visible = self.slots[None, :limit] <= where[:, None]  # (length, limit)
        for i, layer in enumerate(self.decoder.layers):
            residual = hidden
            x = layer.self_attn_layer_norm(hidden)
            attn = layer.self_attn
            shape = (self.n, length, self.heads_n, self.head_dim)
            if self.qkv:
                q, k, v = F.linear(x, *self.qkv[i]).view(self.n, length, 3 * self.heads_n, self.head_dim) \
                    .transpose(1, 2).split(self.heads_n, dim=1)
            else:
                q, k, v = (proj(x).view(shape).transpose(1, 2) for proj in (attn.q_proj, attn.k_proj, attn.v_proj))
            self.cache_k[i].index_copy_(2, where, k)
            self.cache_v[i].index_copy_(2, where, v)
            out = F.scaled_dot_product_attention(q, self.cache_k[i][:, :, :limit], self.cache_v[i][:, :, :limit],
                                                 attn_mask=visible, scale=attn.scaling)
            hidden = residual + attn.out_proj(out.transpose(1, 2).reshape(self.n, length, -1))

            residual = hidden
            x = layer.encoder_attn_layer_norm(hidden)
            cross = layer.encoder_attn
            q = cross.q_proj(x).view(shape).transpose(1, 2)
            out = F.scaled_dot_product_attention(q, self.cross_k[i], self.cross_v[i], attn_mask=self.cross_mask,
                                                 scale=cross.scaling)
            hidden = residual + cross.out_proj(out.transpose(1, 2).reshape(self.n, length, -1))

            residual = hidden
            x = layer.final_layer_norm(hidden)
            hidden = residual + layer.fc2(layer.activation_fn(layer.fc1(x)))
        return self.decoder.layer_norm(hidden)

    def _scores(self, last_hidden: torch.Tensor) -> torch.Tensor:
        """Guided scores (rows * K, vocab) in float32 from the last position's hidden state (n, D)."""
        logits = torch.stack([head(last_hidden) for head in self.heads], dim=1).float()  # (n, K, V)
        logits = logits.reshape(self.n * self.k, -1)
        if self.cfg:
            cond, uncond = logits.split(self.rows * self.k, dim=0)
            logits = uncond + (cond - uncond) * self.sampling.guidance
        return logits

    def _choose(self, scores: torch.Tensor) -> torch.Tensor:
        if self.sampling.greedy:
            return scores.argmax(dim=-1)
        return draw(filtered(scores, self.sampling))

    def _scores_for(self, fed: torch.Tensor, position: torch.Tensor, limit: int) -> torch.Tensor:
        return self._scores(self._hidden(fed, position, 1, limit)[:, -1])

    def _step(self, limit: int) -> None:
        """One token per codebook for every row, from the state on the device; advances the position."""
        tokens = self.ids.index_select(2, self.position).reshape(self.rows, self.k, 1)
        fed = tokens.repeat(2, 1, 1) if self.cfg else tokens
        forward = self.forward
        if forward is None:
            raise RuntimeError("the decode loop was used after it was released")
        scores = forward(fed, self.position, limit)
        if self.scores_log is not None:
            self.scores_log.append(scores.clone())
        chosen = self._choose(scores).view(self.rows, self.k)
        following = self.position + 1
        forced = self.pattern.index_select(2, following).view(self.rows, self.k)
        chosen = torch.where(forced == -1, chosen, forced)
        self.ids.index_copy_(2, following, chosen.view(self.rows, self.k, 1))
        self.position.add_(1)

    # --- the loop -------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, input_ids: torch.Tensor, pattern: torch.Tensor, encoder_hidden: torch.Tensor,
                 encoder_mask: torch.Tensor | None, on_step=None) -> torch.Tensor:
        """`input_ids` (rows*K, L0): BOS then prompt codes in delay order; `pattern` (rows*K, max_length)
        from build_delay_pattern_mask; `encoder_hidden`/`encoder_mask` as the plain path gives the decoder
        (guided rows first, then the null rows). Returns ids (rows*K, max_length), pattern applied."""
        self._allocate(encoder_hidden, encoder_mask)
        try:
            return self._generate(input_ids, pattern, on_step)
        finally:  # the cache is gigabytes at large batches: free it now, not when a collector finds the decoder
            self._release()

    def _release(self) -> None:
        self.cache_k = self.cache_v = self.cross_k = self.cross_v = self.qkv = []
        self.forward = None  # a bound method: a reference cycle through self

    def _generate(self, input_ids: torch.Tensor, pattern: torch.Tensor, on_step) -> torch.Tensor:
        start = input_ids.shape[-1]
        self.pattern = pattern.view(self.rows, self.k, -1).to(self.device)
        self.ids = self.pattern.clone()
        self.ids[:, :, :start] = input_ids.view(self.rows, self.k, -1).to(self.device)
        self.ids = torch.where(self.pattern == -1, self.ids, self.pattern)
        if start > 1:  # the prompt in one pass; the last prompt token is fed by the first step
            prefix = self.ids[:, :, : start - 1]
            fed = prefix.repeat(2, 1, 1) if self.cfg else prefix
            self._hidden(fed, torch.zeros(1, dtype=torch.long, device=self.device), start - 1, self.limit(start - 2))
        self.position = torch.full((1,), start - 1, dtype=torch.long, device=self.device)
        positions = range(start - 1, self.max_length - 1)  # the step at p writes the token of p + 1
        if self.use_graph and len(positions) > 1 and self.scores_log is None:
            self._run_graphs(positions, on_step)
        else:
            for p in positions:
                self._step(self.limit(p))
                if on_step:
                    on_step()
        return self.ids.reshape(self.rows * self.k, -1)

    def _run_graphs(self, positions: range, on_step) -> None:
        # The first step runs eagerly on a side stream (the warm-up CUDA graphs need; with compile_step
        # it also compiles), then one graph per bucket is captured, and the rest of the steps replay them.
        # Capturing runs nothing, so the state is as the warm-up step left it.
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            self._step(self.limit(positions[0]))
        torch.cuda.current_stream().wait_stream(stream)
        if on_step:
            on_step()
        rest = positions[1:]
        graphs: dict[int, torch.cuda.CUDAGraph] = {}
        try:
            pool = None
            for limit in sorted({self.limit(p) for p in rest}):
                if self.compile_step and limit != self.limit(positions[0]):
                    raise RuntimeError("compile_step captures one bucket only; set bucket >= the window")
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph, pool=pool):
                    self._step(limit)
                pool = graph.pool()
                graphs[limit] = graph
        except RuntimeError as exc:  # a driver or kernel that cannot be captured: same loop, launched eagerly
            log.warning("CUDA graph capture failed (%s); decoding without a graph", exc)
            graphs = {}
        for p in rest:
            limit = self.limit(p)
            if limit in graphs:
                graphs[limit].replay()
            else:
                self._step(limit)
            if on_step:
                on_step()


def filtered(scores: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """Temperature, then top-k, then top-p, as transformers' logits warpers do them."""
    if sampling.temperature != 1.0:
        scores = scores / sampling.temperature
    if sampling.top_k and sampling.top_k < scores.shape[-1]:
        kth = torch.topk(scores, sampling.top_k, dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if sampling.top_p and sampling.top_p < 1.0:
        ordered, order = torch.sort(scores, descending=False, dim=-1)
        cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
        drop_sorted = cumulative <= (1 - sampling.top_p)
        drop_sorted[..., -1:] = False  # keep at least one
        scores = scores.masked_fill(drop_sorted.scatter(-1, order, drop_sorted), float("-inf"))
    return scores


def draw(scores: torch.Tensor) -> torch.Tensor:
    """One index per row drawn from softmax(scores), by Gumbel-max (argmax of scores plus Gumbel noise):
    the distribution multinomial sampling gives, with no host synchronisation."""
    uniform = torch.rand(scores.shape, device=scores.device).clamp_(1e-20, 1.0)
    return (scores - torch.log(-torch.log(uniform))).argmax(dim=-1)


def encoder_states(model, inputs: dict, guidance: float) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The text encoder's output as the decoder sees it on the plain path: T5, the null half for
    guidance, the projection to the decoder's width, padding zeroed."""
    with torch.inference_mode():
        hidden = model.text_encoder(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"),
                                    return_dict=True).last_hidden_state
        mask = inputs.get("attention_mask")
        if guidance > 1.0:
            hidden = torch.cat([hidden, torch.zeros_like(hidden)], dim=0)
            if mask is not None:
                mask = torch.cat([mask, torch.zeros_like(mask)], dim=0)
        if (model.text_encoder.config.hidden_size != model.decoder.config.hidden_size
                and model.decoder.config.cross_attention_hidden_size is None):
            hidden = model.enc_to_dec_proj(hidden)
        if mask is not None:
            hidden = hidden * mask[..., None]
        return hidden, mask
