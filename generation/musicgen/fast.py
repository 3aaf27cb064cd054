"""A decode loop for MusicGen built for GPUs, beside the plain `generate` path.

transformers still loads the weights and runs T5 and EnCodec; this module runs the decoder's
autoregressive loop itself, on state allocated once for the whole window:
- the self-attention keys and values of every layer live in one preallocated cache; each step writes
  its column and attends over the cache with a position mask, so every step has the same shapes;
- the cross-attention keys and values of the text are computed once, before the first step;
- classifier-free guidance, temperature, top-k, top-p, sampling (Gumbel-max: the same distribution as
  multinomial) and the codebook delay pattern all run on the device;
- the step position lives on the device and advances inside the step, so the host only launches work
  and never waits for a token; on CUDA the whole step is captured once as a CUDA graph and replayed.
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

    # --- one step ------------------------------------------------------------------------------
    def _hidden(self, ids: torch.Tensor, start: torch.Tensor, length: int) -> torch.Tensor:
        """Decoder output for `length` new tokens per row, `ids` (n, K, length), written to the cache
        at positions start .. start+length-1 (`start`: a 1-element device tensor)."""
        embeds = sum(self.decoder.embed_tokens[c](ids[:, c]) for c in range(self.k))
        where = start + torch.arange(length, device=self.device)
        hidden = embeds + self.position_table.index_select(0, where)[None]
        # token i attends to every cached position up to start + i
        visible = self.slots[None, :] <= where[:, None]  # (length, max_length)
        for i, layer in enumerate(self.decoder.layers):
            residual = hidden
            x = layer.self_attn_layer_norm(hidden)
            attn = layer.self_attn
            shape = (self.n, length, self.heads_n, self.head_dim)
            q = attn.q_proj(x).view(shape).transpose(1, 2)
            self.cache_k[i].index_copy_(2, where, attn.k_proj(x).view(shape).transpose(1, 2))
            self.cache_v[i].index_copy_(2, where, attn.v_proj(x).view(shape).transpose(1, 2))
            out = F.scaled_dot_product_attention(q, self.cache_k[i], self.cache_v[i], attn_mask=visible,
                                                 scale=attn.scaling)
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

    def _step(self) -> None:
        """One token per codebook for every row, from the state on the device; advances the position."""
        tokens = self.ids.index_select(2, self.position).reshape(self.rows, self.k, 1)
        fed = tokens.repeat(2, 1, 1) if self.cfg else tokens
        hidden = self._hidden(fed, self.position, 1)[:, -1]
        scores = self._scores(hidden)
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
        start = input_ids.shape[-1]
        self.pattern = pattern.view(self.rows, self.k, -1).to(self.device)
        self.ids = self.pattern.clone()
        self.ids[:, :, :start] = input_ids.view(self.rows, self.k, -1).to(self.device)
        self.ids = torch.where(self.pattern == -1, self.ids, self.pattern)
        if start > 1:  # the prompt in one pass; the last prompt token is fed by the first step
            prefix = self.ids[:, :, : start - 1]
            fed = prefix.repeat(2, 1, 1) if self.cfg else prefix
            self._hidden(fed, torch.zeros(1, dtype=torch.long, device=self.device), start - 1)
        self.position = torch.full((1,), start - 1, dtype=torch.long, device=self.device)
        steps = self.max_length - start
        if self.use_graph and steps > 1 and self.scores_log is None:
            self._run_graph(steps, on_step)
        else:
            for _ in range(steps):
                self._step()
                if on_step:
                    on_step()
        return self.ids.reshape(self.rows * self.k, -1)

    def _run_graph(self, steps: int, on_step) -> None:
        # Capture one step (after a warm-up on a side stream, as CUDA graphs require), then replay it.
        # The warm-up step is a real step: its token is kept and the replays continue from it.
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            self._step()
        torch.cuda.current_stream().wait_stream(stream)
        if on_step:
            on_step()
        saved_position = self.position.clone()
        saved_ids = self.ids.clone()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self._step()
        except RuntimeError as exc:  # a driver or kernel that cannot be captured: same loop, launched eagerly
            log.warning("CUDA graph capture failed (%s); decoding without a graph", exc)
            graph = None
        # Capturing does not run the step: nothing moved, but restore to be certain.
        self.position.copy_(saved_position)
        self.ids.copy_(saved_ids)
        for _ in range(steps - 1):
            if graph is not None:
                graph.replay()
            else:
                self._step()
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
