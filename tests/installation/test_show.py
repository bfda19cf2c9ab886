"""The show through its real parts: tiny CLIP, faster-whisper tiny.en, SQLite, a simulated GRBL plotter."""

from __future__ import annotations

import dataclasses
import errno
import json
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import torch
from dreamdraw.archive import RecordFilter
from dreamdraw.drawing import DrawingError, draw, load_clip
from dreamdraw.installation.config import config_from_dict
from dreamdraw.installation.drawing_stage import DrawingStage, load_show_clip
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.orchestrator import _DISK_EVERY_S, Show, clean_dream
from dreamdraw.installation.plotting import PlotterStation
from dreamdraw.installation.plotting_stage import PlotOutcome
from dreamdraw.installation.retention import sweep_retention
from dreamdraw.installation.states import State
from dreamdraw.installation.status import StatusServer, format_status, read_status
from dreamdraw.plotter import Fault, GrblSimulator, compare_trace
from dreamdraw.speech import ArraySource, FileSource, load_audio, load_engine

DATA = Path(__file__).resolve().parent.parent / "speech" / "data"
WAIT_S = 60.0


def show_config(**tables: dict):
    raw: dict[str, dict] = {
        "drawing": {
            "clip": "test:tiny",
            "device": "cpu",
            "strokes": 10,
            "iterations": 2,
            "augmentations": 0,
            "canvas_px": 32,
            "progress_every": 1,
            "seed": 3,
            "pens": [{"id": 1, "color": "#000000", "width_mm": 0.8, "name": "black"}],
        },
        "analysis": {"clip": "test:tiny", "fixlip": False, "figures": False},
        "show": {"status_port": 0, "min_free_mb": 0.0},
        "speech": {"device": "cpu"},
        "plotter": {
            "connect_timeout_s": 1.0,
            "reply_timeout_s": 2.0,
            "reconnect_timeout_s": 1.0,
            "optimize_time_s": 0.02,
        },
        "plot_queue": {"retry_s": 0.2, "ask_pen_change": False},
        "kiosk": {"confirm_s": 30.0, "done_s": 30.0},
    }
    for name, values in tables.items():
        raw.setdefault(name, {}).update(values)
    return config_from_dict(raw)


@pytest.fixture(scope="module")
def clip():
    return load_clip("test:tiny")


@pytest.fixture(scope="module")
def engine():
    return load_engine(show_config().speech)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def simulator():
    sim = GrblSimulator(speedup=200.0)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def make_show(data_dir, clip, engine):
    shows: list[Show] = []

    def make(config=None, *, plotter=None, microphone=None, **kwargs) -> Show:
        config = config or show_config()
        show = Show(
            config,
            data_dir,
            clip=clip,
            speech_engine=engine,
            microphone=microphone,
            plotter=plotter,
            **kwargs,
        )
        shows.append(show)
        return show.start(status_page=False)

    yield make
    for show in shows:
        show.stop()


def station(sim: GrblSimulator, config=None) -> PlotterStation:
    return PlotterStation((config or show_config()).plotter, simulator=sim)


def typed_visit(show: Show, text: str) -> int:
    assert show.type_dream(text)
    assert show.state is State.CONFIRM
    visitor = show.screen.visitor
    assert show.accept()
    return visitor


def wait_state(show: Show, *states: State) -> State:
    assert show.wait_until(lambda: show.state in states, WAIT_S), show.state
    return show.state


def records(show: Show) -> list:
    return list(show.archive.iter_records(RecordFilter(include_hidden=True)))


# -- a visit ---------------------------------------------------------------------------------


def test_a_typed_dream_is_drawn_archived_plotted_and_analysed(make_show, simulator):
    show = make_show(plotter=station(simulator))
    typed_visit(show, "a whale flying over a city")
    assert wait_state(show, State.PLOTTING, State.DONE)
    wait_state(show, State.DONE)
    assert show.wait_until(lambda: show.counters["analysed"] == 1, WAIT_S)
    (record,) = records(show)
    assert record.dream == "a whale flying over a city"
    assert record.plot_status == "plotted"
    assert record.cluster is not None and record.analysis is not None
    assert set(record.blobs) >= {"svg", "png", "thumbnail"}


def test_the_pen_draws_exactly_the_toolpath(make_show, simulator):
    show = make_show(plotter=station(simulator))
    plotted: list[PlotOutcome] = []
    show.plotting.subscribe(plotted.append)
    typed_visit(show, "a red door in the sea")
    assert show.wait_until(lambda: len(plotted) == 1, WAIT_S)
    outcome = plotted[0]
    report = compare_trace(outcome.toolpath, outcome.trace)
    assert report.exact, report.summary()


def test_a_spoken_dream_reaches_the_confirm_screen_with_its_words(make_show):
    show = make_show()
    assert show.listen(FileSource(DATA / "red_door.wav"))
    assert wait_state(show, State.CONFIRM, State.ATTRACT) is State.CONFIRM
    assert "red door" in show.screen.dream.lower()


def test_silence_is_nothing_heard_and_nothing_is_archived(make_show):
    show = make_show()
    assert show.listen(ArraySource(np.zeros(16000 * 2, dtype=np.float32)))
    assert show.wait_until(lambda: show.counters["nothing_heard"] == 1, WAIT_S)
    assert show.state is State.ATTRACT
    assert "did not" in show.screen.message
    assert records(show) == []


def test_the_confirm_screen_accepts_by_itself_after_its_time(make_show):
    show = make_show(show_config(show={"analyse": False}))
    assert show.type_dream("a house in the forest")
    show.tick(show.screen.since + show.config.kiosk.confirm_s + 0.1)
    assert show.state in (State.DRAWING, State.PLOTTING, State.DONE)
    assert show.counters["accepted"] == 1


def test_speak_again_throws_the_text_away(make_show):
    show = make_show()
    show.type_dream("a first try")
    assert show.speak_again()
    assert show.state is State.LISTENING and show.screen.dream == ""


def test_visitor_text_is_stripped_of_control_characters_and_cut():
    text = "a\x1b[31m red\u202e door\x00\n\twith   spaces" + "x" * 600
    cleaned = clean_dream(text, 40)
    assert "\x1b" not in cleaned and "\u202e" not in cleaned and "\x00" not in cleaned
    assert cleaned.startswith("a [31m red door with spaces")
    assert len(cleaned) <= 40


# -- moderation and consent ------------------------------------------------------------------


def test_a_moderated_dream_is_not_drawn_and_not_kept(make_show):
    show = make_show(show_config(moderation={"words": ["knife", "kill*"]}))
    assert show.type_dream("Someone was KILLING the roses")
    assert show.accept()
    assert show.state is State.ATTRACT
    assert show.screen.message == show.config.moderation.message
    assert show.drawing.queue.empty() and records(show) == []
    assert show.counters["moderated"] == 1


def test_a_moderated_dream_may_be_archived_hidden_without_a_drawing(make_show):
    show = make_show(show_config(moderation={"words": ["knife"], "blocked": "archive_hidden"}))
    show.type_dream("a knife in the kitchen")
    show.accept()
    (record,) = records(show)
    assert record.hidden and record.drawing == {} and record.plot_status == "skipped"
    assert show.archive.count(RecordFilter()) == 0


def test_words_only_match_whole_words(make_show):
    show = make_show(show_config(moderation={"words": ["gun"]}, show={"analyse": False}))
    show.type_dream("a gundog by the lagoon")
    assert show.accept()
    assert show.state is State.DRAWING or show.counters["accepted"] == 1


def test_audio_is_not_archived_without_consent(make_show):
    show = make_show(show_config(show={"analyse": False}))
    show.listen(FileSource(DATA / "red_door.wav"))
    wait_state(show, State.CONFIRM)
    show.accept()
    assert show.wait_until(lambda: show.counters["archived"] == 1, WAIT_S)
    assert "audio" not in records(show)[0].blobs


def test_audio_is_archived_when_the_venue_has_consent(make_show):
    show = make_show(show_config(consent={"store_audio": True}, show={"analyse": False}))
    show.listen(FileSource(DATA / "red_door.wav"))
    wait_state(show, State.CONFIRM)
    show.accept()
    assert show.wait_until(lambda: show.counters["archived"] == 1, WAIT_S)
    (record,) = records(show)
    assert record.consent.audio and show.archive.blob(record.blobs["audio"])[:4] == b"RIFF"


def test_retention_deletes_pairs_older_than_the_setting(make_show):
    show = make_show()
    old = show.archive.add(
        transcript={"text": "old"},
        drawing={},
        created_at=datetime.now(UTC) - timedelta(days=40),
    )
    recent = show.archive.add(transcript={"text": "new"}, drawing={})
    assert sweep_retention(show.archive, 30) == 1
    assert [r.id for r in records(show)] == [recent.id]
    assert old.id != recent.id


# -- faults ----------------------------------------------------------------------------------


def test_without_a_microphone_visitors_type_their_dreams(make_show):
    show = make_show()
    assert show.keyboard_mode and show.faults.is_active("no_microphone")
    assert show.listen()
    assert show.state is State.LISTENING
    assert show.type_dream("I typed my dream")
    assert show.state is State.CONFIRM and show.screen.dream == "I typed my dream"


def test_a_microphone_gone_at_listening_switches_to_keyboard_mode(make_show):
    def unplugged():
        raise OSError("no such device")

    show = make_show(microphone=unplugged)
    assert not show.keyboard_mode
    show.listen()
    assert show.keyboard_mode and show.faults.is_active("no_microphone")
    assert show.state is State.LISTENING


def test_without_a_plotter_drawings_wait_on_disk_and_the_visitor_is_told(make_show, data_dir):
    config = show_config(show={"analyse": False})
    missing = PlotterStation(config.plotter, port=str(data_dir / "no-such-port"))
    show = make_show(config, plotter=missing)
    typed_visit(show, "a bicycle in the clouds")
    assert wait_state(show, State.DONE) is State.DONE
    assert "plotted when it is back" in show.screen.message
    assert show.wait_until(lambda: show.faults.is_active("no_plotter"), WAIT_S)
    assert len(show.plot_queue) == 1
    assert records(show)[0].plot_status == "pending"


def test_queued_drawings_are_plotted_when_the_plotter_returns(make_show, data_dir):
    config = show_config(show={"analyse": False})
    sim = GrblSimulator(speedup=200.0)  # exists but does not answer until started
    try:
        show = make_show(config, plotter=station(sim, config))
        typed_visit(show, "a bicycle in the clouds")
        assert show.wait_until(lambda: show.faults.is_active("no_plotter"), WAIT_S)
        sim.start()
        assert show.wait_until(lambda: show.counters["plotted"] == 1, WAIT_S)
        assert not show.faults.is_active("no_plotter")
        assert records(show)[0].plot_status == "plotted" and len(show.plot_queue) == 0
    finally:
        sim.stop()


def test_queued_drawings_survive_a_restart(make_show, data_dir, simulator):
    config = show_config(show={"analyse": False})
    first = make_show(config, plotter=PlotterStation(config.plotter, port=str(data_dir / "none")))
    typed_visit(first, "a train at night")
    assert first.wait_until(lambda: len(first.plot_queue) == 1, WAIT_S)
    first.stop()
    second = make_show(config, plotter=station(simulator, config))
    assert second.wait_until(lambda: second.counters["plotted"] == 1, WAIT_S)
    (record,) = records(second)
    assert record.plot_status == "plotted"


def test_a_plotter_lost_mid_plot_resumes_the_drawing(make_show):
    config = show_config(show={"analyse": False})
    # The port vanishes for longer than the plotter waits: the job stops, the entry waits.
    sim = GrblSimulator(speedup=200.0, faults=[Fault("vanish", at_line=40, seconds=2.5)])
    sim.start()
    try:
        show = make_show(config, plotter=station(sim, config))
        typed_visit(show, "the sea is full of doors")
        assert show.wait_until(lambda: show.counters["plotted"] == 1, WAIT_S)
        assert show.faults.counts.get("plotter_lost", 0) >= 1
        (record,) = records(show)
        assert record.plot_status == "plotted" and "resumed" in record.plot_log
    finally:
        sim.stop()


def test_out_of_memory_retries_with_fewer_strokes_and_says_so(make_show):
    def small_gpu(prompt, settings, clip, progress):
        if settings.strokes > 5:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return draw(prompt, settings, clip, progress)

    show = make_show(show_config(show={"analyse": False}), draw_fn=small_gpu)
    typed_visit(show, "a garden on the moon")
    assert wait_state(show, State.PLOTTING, State.DONE)
    assert "fewer strokes" in show.screen.message
    assert show.faults.counts["gpu_out_of_memory"] == 1
    drawing = records(show)[0].drawing
    assert drawing["settings"]["strokes"] == 5 and drawing["settings"]["iterations"] == 1


def test_a_gpu_that_keeps_running_out_of_memory_hands_the_drawing_to_the_cpu(clip, data_dir):
    # Any device other than the CPU stands in for the GPU; the injected fault is CUDA's own.
    config = show_config(show={"oom_retries": 1, "cpu_max_strokes": 4})
    gpu_clip = dataclasses.replace(clip, device=torch.device("meta"))
    calls = []

    def gpu_without_memory(prompt, settings, clip, progress):
        calls.append((clip.device.type, settings.strokes))
        if clip.device.type != "cpu":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return draw(prompt, settings, clip, progress)

    faults = FaultLog(data_dir)
    stage = DrawingStage(config.drawing, config.show, gpu_clip, faults, draw_fn=gpu_without_memory)
    drawing, note = stage.draw("a garden on the moon")
    assert calls == [("meta", 10), ("meta", 5), ("cpu", 4)]
    assert drawing.strokes and drawing.settings["device"] == "cpu"
    assert "more slowly" in note
    assert faults.counts["gpu_out_of_memory"] == 2
    assert "drawing on the CPU from now on" in faults.active["gpu_out_of_memory"].message
    calls.clear()
    stage.draw("the next visitor's dream")
    assert calls == [("cpu", 4)]  # the rest of the show draws on the CPU straight away


def test_out_of_memory_at_the_smallest_drawing_fails_the_dream_politely(make_show):
    def no_memory(prompt, settings, clip, progress):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    show = make_show(show_config(show={"analyse": False, "oom_retries": 1}), draw_fn=no_memory)
    typed_visit(show, "a garden on the moon")
    assert wait_state(show, State.ATTRACT) is State.ATTRACT
    assert "could not draw" in show.screen.message
    assert records(show) == [] and show.counters["draw_failed"] == 1


def test_no_gpu_falls_back_to_the_cpu_and_says_so(data_dir):
    config = show_config(drawing={"device": "cuda"})
    faults = FaultLog(data_dir)
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    clip = load_show_clip(config.drawing, config.show, faults)
    assert clip.device.type == "cpu" and faults.is_active("no_gpu")


def test_no_gpu_without_cpu_fallback_is_a_clear_error(data_dir):
    config = show_config(drawing={"device": "cuda"}, show={"cpu_fallback": False})
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(DrawingError, match="cpu_fallback"):
        load_show_clip(config.drawing, config.show, FaultLog(data_dir))


def test_a_full_disk_stops_taking_dreams_until_space_returns(make_show):
    show = make_show(show_config(show={"min_free_mb": 1e12}))
    assert show.state is State.FAULT
    assert show.faults.is_active("disk_full")
    assert "min_free_mb" in show.faults.active["disk_full"].message
    assert not show.listen() and not show.type_dream("a dream")
    show.config.show.min_free_mb = 0.0
    assert show.wait_until(lambda: show.state is State.ATTRACT, WAIT_S)
    assert not show.faults.is_active("disk_full")


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 8 MB file system (tmpfs) to fill up; skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into `folder` until the disk is full; returns it."""
    filler = folder / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_real_full_disk_stops_the_show_and_it_resumes_when_space_returns(
    small_disk, clip, engine
):
    data_dir = small_disk / "data"
    show = Show(show_config(show={"analyse": False}), data_dir, clip=clip, speech_engine=engine)
    show.start(status_page=False)
    try:
        filler = fill(small_disk)
        typed_visit(show, "a lighthouse made of glass")
        assert wait_state(show, State.FAULT) is State.FAULT
        fault = show.faults.active["disk_full"]
        assert "could not write" in fault.message and "No space left" in fault.message
        assert not show.type_dream("another dream")
        assert records(show) == []
        # A dream with no room keeps the show closed until space really returns.
        time.sleep(2 * _DISK_EVERY_S)
        assert show.state is State.FAULT
        filler.unlink()
        assert wait_state(show, State.ATTRACT) is State.ATTRACT
        typed_visit(show, "a lighthouse made of glass")
        assert show.wait_until(lambda: len(records(show)) == 1, WAIT_S)
    finally:
        show.stop()


def test_a_full_plot_queue_archives_the_drawing_unplotted(make_show, data_dir):
    config = show_config(show={"analyse": False}, plot_queue={"max_waiting": 1})
    show = make_show(config, plotter=PlotterStation(config.plotter, port=str(data_dir / "none")))
    typed_visit(show, "first dream")
    wait_state(show, State.DONE)
    typed_visit(show, "second dream")
    assert show.wait_until(lambda: show.counters["archived"] == 2, WAIT_S)
    statuses = sorted(r.plot_status for r in records(show))
    assert statuses == ["pending", "skipped"]
    assert len(show.plot_queue) == 1


def test_every_fault_is_a_json_line_in_the_fault_log(make_show, data_dir):
    show = make_show()
    show.faults.report("drawing_failed", "a test fault", active=False, record=7)
    lines = (data_dir / "logs" / "faults.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert {e["kind"] for e in entries} >= {"no_microphone", "drawing_failed"}
    assert entries[-1]["detail"] == {"record": 7} and entries[-1]["message"] == "a test fault"


# -- the technician --------------------------------------------------------------------------


def test_status_file_names_state_queues_and_active_faults(make_show, data_dir):
    show = make_show()
    show.write_status()
    status = read_status(data_dir)
    assert status["running"] and status["state"] == "attract"
    assert status["queues"]["draw"]["bound"] == show.config.show.draw_queue_size
    assert [f["kind"] for f in status["faults"]] == ["no_microphone"]
    text = format_status(status)
    assert "no_microphone" in text and "queue plot: 0/20" in text


def test_a_stopped_show_reads_as_not_running(make_show, data_dir):
    show = make_show()
    show.stop()
    assert read_status(data_dir)["running"] is False


def test_the_status_endpoint_serves_json_and_an_escaped_page(data_dir, clip):
    config = show_config(show={"status_port": 0}, venue={"name": "<b>venue</b>"})
    show = Show(config, data_dir, clip=clip)
    server = StatusServer(show.status, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        status = json.loads(urllib.request.urlopen(f"{base}/status.json", timeout=5).read())
        assert status["venue"] == "<b>venue</b>" and status["state"] == "attract"
        page = urllib.request.urlopen(f"{base}/", timeout=5).read().decode()
        assert "&lt;b&gt;venue&lt;/b&gt;" in page and "<b>venue" not in page
    finally:
        server.stop()
        show.archive.close()


def test_speech_at_the_right_pace_through_the_microphone_path(make_show):
    samples = load_audio(DATA / "whale_city.wav")
    show = make_show(microphone=lambda: ArraySource(samples))
    assert show.listen()
    assert wait_state(show, State.CONFIRM, State.ATTRACT) is State.CONFIRM
    assert "whale" in show.screen.dream.lower()
