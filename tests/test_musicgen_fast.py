"""The fast MusicGen decode loop against transformers' own path: on CPU in CI (the eager loop), and on
CUDA where one is present (the CUDA-graph loop, one graph per cache bucket).

Greedy decoding must give the plain path's tokens; with sampling, each step's guided scores must equal
what transformers' decoder computes for the same tokens; the sampler must draw from softmax(scores)
after the same top-k/top-p filtering as transformers' warpers.
"""
from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from transformers import LogitsProcessorList  # noqa: E402
from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper  # noqa: E402

from autoscore_video.generation.musicgen import random_model  # noqa: E402
from autoscore_video.generation.musicgen.fast import FastDecoder, Sampling, draw, encoder_states, filtered  # noqa: E402

BOS = 2048
TEXTS = ["calm piano strings", "driving drums bass"]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))]


@pytest.fixture(scope="module")
def tiny():
    model = random_model.build("tiny", seed=3).float()
    return model, random_model.processor()


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    return random_model.save(tmp_path_factory.mktemp("models") / "tiny-musicgen")


class _Tap:
    def __call__(self, input_ids, scores):
        self.latest = input_ids
        return scores


def _plain_greedy(model, inputs, start_ids, prompt, max_length, guidance):
    tap = _Tap()
    extra = {} if prompt is None else {"decoder_input_ids": prompt}
    with torch.inference_mode():
        model.generate(**inputs, **extra, max_length=max_length, do_sample=False, guidance_scale=guidance,
                       logits_processor=LogitsProcessorList([tap]))
    _, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=BOS, max_length=max_length)
    return model.decoder.apply_delay_pattern_mask(tap.latest, pattern)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("guidance, prompt_frames, bucket", [(3.0, 0, 256), (1.0, 0, 48), (3.0, 24, 64)])
def test_greedy_tokens_equal_the_plain_path_for_200_steps(tiny, device, guidance, prompt_frames, bucket,
                                                          monkeypatch):
    monkeypatch.setattr(FastDecoder, "bucket", bucket)  # several buckets: attention reads a growing cache
    model, processor = tiny
    model = model if device == "cpu" else copy.deepcopy(model).to(device)
    k = model.decoder.num_codebooks
    inputs = processor(text=TEXTS, padding=True, return_tensors="pt").to(device)
    start_ids = torch.full((len(TEXTS) * k, 1), BOS, dtype=torch.long)
    prompt = None
    if prompt_frames:  # a continuation window: the previous window's last codes as the prompt
        prompt = torch.randint(0, 2048, (len(TEXTS) * k, prompt_frames), generator=torch.Generator().manual_seed(1))
        start_ids = torch.cat([start_ids, prompt], dim=1)
        prompt = prompt.to(device)
    max_length = start_ids.shape[1] + 200 + 1
    plain = _plain_greedy(model, inputs, start_ids.to(device), prompt, max_length, guidance)

    prefix, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=BOS, max_length=max_length)
    hidden, mask = encoder_states(model, inputs, guidance)
    decoder = FastDecoder(model, len(TEXTS), max_length, Sampling(guidance=guidance, greedy=True))
    fast = decoder.generate(prefix, pattern, hidden, mask)
    assert decoder.use_graph is (device == "cuda")
    steps = plain.shape[-1] - start_ids.shape[-1]
    assert steps >= 200
    assert torch.equal(fast[:, : plain.shape[-1]], plain)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_captured_draw_follows_the_softmax_on_every_replay():
    scores = torch.tensor([[2.0, 1.0, 0.0, -1.0, float("-inf")]], device="cuda").expand(1000, -1).contiguous()
    out = torch.empty(1000, dtype=torch.long, device="cuda")
    draw(scores)  # warm-up before capture
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out.copy_(draw(scores))
    counts = torch.zeros(5, device="cuda")
    firsts = []
    for _ in range(200):
        graph.replay()
        counts += torch.bincount(out, minlength=5)
        firsts.append(out[:20].clone())
    assert len({tuple(f.tolist()) for f in firsts}) == 200  # fresh noise on every replay
    freq = counts / counts.sum()
    torch.testing.assert_close(freq.cpu(), scores[0].softmax(-1).cpu(), atol=4e-3, rtol=0)


def test_sampled_steps_have_the_plain_decoders_scores(tiny):
    model, processor = tiny
    k, guidance = model.decoder.num_codebooks, 3.0
    inputs = processor(text=TEXTS, padding=True, return_tensors="pt")
    start_ids = torch.full((len(TEXTS) * k, 1), BOS, dtype=torch.long)
    max_length = 120
    prefix, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=BOS, max_length=max_length)
    hidden, mask = encoder_states(model, inputs, guidance)
    decoder = FastDecoder(model, len(TEXTS), max_length, Sampling(guidance=guidance, top_k=50))
    decoder.scores_log = []
    torch.manual_seed(0)
    ids = decoder.generate(prefix, pattern, hidden, mask)

    # transformers' decoder, no cache, over the same (sampled) tokens, guidance applied as its processor does
    fed = ids[:, : max_length - 1].repeat(2, 1)
    with torch.inference_mode():
        logits = model.decoder(input_ids=fed, encoder_hidden_states=hidden, encoder_attention_mask=mask).logits
    logits = logits.float()
    cond, uncond = logits.split(len(TEXTS) * k, dim=0)
    expected = uncond + (cond - uncond) * guidance
    assert len(decoder.scores_log) == max_length - 1
    for step, scores in enumerate(decoder.scores_log):
        torch.testing.assert_close(scores, expected[:, step], rtol=1e-4, atol=1e-4)
    assert len(set(ids[:, 10:].flatten().tolist())) > 50  # it did sample, not repeat one token


@pytest.mark.parametrize("top_k, top_p", [(250, 0.0), (5, 0.0), (0, 0.9), (50, 0.8)])
def test_filtering_matches_transformers_warpers(top_k, top_p):
    scores = torch.randn(6, 2048, generator=torch.Generator().manual_seed(top_k))
    expected = scores.clone()
    if top_k:
        expected = TopKLogitsWarper(top_k=top_k)(None, expected)
    if top_p:
        expected = TopPLogitsWarper(top_p=top_p)(None, expected)
    got = filtered(scores, Sampling(top_k=top_k, top_p=top_p))
    assert torch.equal(torch.isinf(got), torch.isinf(expected))
    assert torch.equal(got[~torch.isinf(got)], expected[~torch.isinf(expected)])


def test_gumbel_draws_follow_the_softmax():
    scores = torch.tensor([[2.0, 1.0, 0.0, -1.0, float("-inf")]])
    torch.manual_seed(0)
    draws = draw(scores.expand(200_000, -1))
    freq = torch.bincount(draws, minlength=5).float() / draws.numel()
    probs = scores.softmax(-1)[0]
    assert freq[4] == 0  # a filtered token is never drawn
    torch.testing.assert_close(freq, probs, atol=4e-3, rtol=0)


def test_engine_renders_through_the_fast_path(tmp_path, tiny_checkpoint):
    from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, render
    from autoscore_video.generation.musicgen.options import MusicGenOptions

    sections = [BriefSection(start=0.0, end=3.0, bpm=120.0, key="C", mode="major", energy=0.7, mood="driving",
                             instrumentation=["piano"], prompt="driving drums bass")]
    brief = MusicBrief(sections=sections, tempo_map=[TempoPoint(0.0, 120.0)], key="C", mode="major", energy=0.7,
                       genre="pop", prompt="driving drums bass", seed=5, target_duration=3.0)
    options = MusicGenOptions(model=str(tiny_checkpoint), device="cpu", decoder="fast", window_s=2.0, overlap_s=1.0,
                              candidates=2)
    track = render(brief, tmp_path, engine="musicgen", options=options)
    assert track.grid == "measured" and track.duration >= 3.0 and len(track.candidates) == 2


def test_the_cache_is_freed_when_generate_returns(tiny):
    """At batch 32 the cache is tens of GB: it must go with the decoder's last reference, not at the
    next garbage collection (a leak found on an H100 when consecutive windows ran out of memory)."""
    import gc
    import weakref

    model, processor = tiny
    k = model.decoder.num_codebooks
    inputs = processor(text=TEXTS[:1], return_tensors="pt")
    start_ids = torch.full((k, 1), BOS, dtype=torch.long)
    prefix, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=BOS, max_length=40)
    hidden, mask = encoder_states(model, inputs, 3.0)
    decoder = FastDecoder(model, 1, 40, Sampling())
    ids = decoder.generate(prefix, pattern, hidden, mask)
    alive = weakref.ref(decoder)
    gc.disable()
    try:
        del decoder
        assert alive() is None
    finally:
        gc.enable()
    assert ids.shape == (k, 40)
