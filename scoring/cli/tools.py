"""`autoscore hooks install` (editors' scripts) and `autoscore models` (MusicGen checkpoints, General MIDI banks)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from autoscore_video.common.errors import UsageError
from autoscore_video.scoring.cli.app import JsonOpt, app, emit, errors_reported, stderr

hooks_app = typer.Typer(help="Ready scripts for editors: DaVinci Resolve, OBS, Compressor/Automator.",
                        no_args_is_help=True)
app.add_typer(hooks_app, name="hooks")


@hooks_app.command("install")
def hooks_install(
    application: str = typer.Argument(..., help="resolve (Python), resolve-lua, obs (Lua), obs-python, or "
                                                "compressor."),
    folder: Optional[Path] = typer.Option(None, "--folder", help="Install here instead of the application's "
                                                                 "own scripts folder."),
) -> None:
    """Write a hook script, with this autoscore's full command in it, into the folder the application reads
    scripts from, and say what to do next."""
    with errors_reported():
        from autoscore_video.scoring.hooks.install import install, next_step

        target = install(application, folder)
        stderr.print(f"installed {target}\nnext: {next_step(application, target)}", markup=False)
        print(target)


models_app = typer.Typer(help="The engines (what each is for, the licence of what it makes), MusicGen checkpoints and "
                              "General MIDI banks: what is known, what is here, what is used.",
                         invoke_without_command=True, no_args_is_help=False)
app.add_typer(models_app, name="models")


@models_app.callback()
def models_list(ctx: typer.Context, json_out: bool = JsonOpt) -> None:
    """List the engines (what each is for, the licence of what it makes, its flags), the MusicGen checkpoints (in
    the Hugging Face cache or not, size, VRAM need) and the General MIDI banks the symbolic engine can play, the
    one it will use first."""
    if ctx.invoked_subcommand is not None:
        return
    with errors_reported():
        from autoscore_video.common.hub import cache_dir
        from autoscore_video.generation import engine_specs
        from autoscore_video.generation.musicgen.catalog import CATALOG, cached_snapshot, folder_size_gb
        from autoscore_video.generation.symbolic.banks import find_bank, usable_banks

        rows = []
        for info in CATALOG.values():
            snapshot = cached_snapshot(info.repo_id)
            rows.append({"name": info.name, "repo_id": info.repo_id, "present": snapshot is not None,
                         "path": str(snapshot) if snapshot else None,
                         "size_gb": folder_size_gb(snapshot) if snapshot else None,
                         "params_m": info.total_params_m, "vram_gb": info.vram_gb,
                         "supported": not info.melody})
        chosen = find_bank()
        banks = [{"name": b.name, "path": str(b.path), "licence": b.licence, "found_by": b.found_by,
                  "used": b.path == chosen.path} for b in usable_banks()]
        if chosen.found_by in ("asked", "environment"):
            banks.insert(0, {"name": chosen.name, "path": str(chosen.path), "licence": chosen.licence,
                             "found_by": chosen.found_by, "used": True})
        engines = [{"name": spec.name, "summary": spec.summary, "licence": spec.licence,
                    "commercial_use": spec.commercial, "flags": ["--" + f.name.replace("_", "-") for f in spec.flags]}
                   for spec in engine_specs()]
        if json_out:
            emit({"engines": engines, "cache": cache_dir(), "models": rows, "banks": banks}, True, None)
            return
        engine_table = Table(title="Engines (--engine)")
        for column in ("engine", "what it is for", "licence of what it makes", "commercial use", "flags"):
            engine_table.add_column(column)
        for engine in engines:
            engine_table.add_row(engine["name"], engine["summary"], engine["licence"],
                                 "yes" if engine["commercial_use"] else "no", " ".join(engine["flags"]))
        Console().print(engine_table)
        table = Table(title=f"MusicGen checkpoints (cache: {cache_dir()})")
        for column in ("name", "hub id", "here", "size on disk", "parameters", "VRAM (fp16)"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["name"], row["repo_id"], "yes" if row["present"] else "no",
                          f"{row['size_gb']} GB" if row["size_gb"] is not None else "-",
                          f"{row['params_m']} M", f"~{row['vram_gb']} GB" + ("" if row["supported"] else " (not yet)"))
        Console().print(table)
        bank_table = Table(title="General MIDI banks for the symbolic engine (first found is used)")
        for column in ("bank", "file", "licence", "found", "used"):
            bank_table.add_column(column)
        for bank in banks:
            bank_table.add_row(bank["name"], bank["path"], bank["licence"], bank["found_by"],
                               "yes" if bank["used"] else "")
        Console().print(bank_table)


@models_app.command("pull-bank")
def models_pull_bank(source: str = typer.Argument(..., help="musescore-general (MuseScore General, MIT), an https "
                                                                "URL of a .sf2/.sf3 file, or a Hugging Face hub id of "
                                                                "a repository holding one.")) -> None:
    """Download a General MIDI bank (SoundFont) once, into the cache, for the symbolic engine to play; it is
    played from then on, before any bank the system has."""
    with errors_reported():
        from autoscore_video.generation.symbolic.pull import pull_bank

        print(pull_bank(source))


@models_app.command("pull")
def models_pull(name: str = typer.Argument(..., help="MusicGen: small, medium, large, melody or a hub id; ACE-Step: "
                                                      "acestep-xl-turbo, or acestep-<hub id>.")) -> None:
    """Download a checkpoint into the Hugging Face cache (needs a machine that reaches the hub)."""
    with errors_reported():
        from autoscore_video.common.errors import ModelError
        from autoscore_video.common.hub import hub_offline, resolve_model
        from autoscore_video.generation import engine_specs

        # a catalogue name, or ENGINE-NAME where engines share one (acestep-xl-turbo), else a hub id
        repos = {f"{spec.name}-{checkpoint}": repo for spec in engine_specs() for checkpoint, repo in spec.checkpoints}
        repos.update({checkpoint: repo for spec in engine_specs() for checkpoint, repo in spec.checkpoints})
        source, _, local = resolve_model(name, repos)
        if local:
            raise UsageError(f"{name} is a local folder already; nothing to pull")
        if hub_offline():
            raise ModelError("HF_HUB_OFFLINE is set: unset it on a machine that reaches the hub to pull")
        try:
            from huggingface_hub import snapshot_download
        except ImportError as exc:
            raise ModelError("pulling needs huggingface_hub: pip install 'autoscore-video[musicgen]'") from exc
        try:
            folder = snapshot_download(source)
        except Exception as exc:  # network and hub errors come in many types; all mean "not pulled"
            raise ModelError(f"cannot download {source}: {type(exc).__name__}: {exc}") from exc
        print(folder)
