"""The kiosk, headless (SDL dummy drivers): a screenshot of every state, keys driving the show."""

from __future__ import annotations

import os
import time

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from dreamdraw.drawing import draw, load_clip  # noqa: E402
from dreamdraw.installation.config import ConfigError, config_from_dict  # noqa: E402
from dreamdraw.installation.kiosk import Kiosk, wrap_text  # noqa: E402
from dreamdraw.installation.orchestrator import Show  # noqa: E402
from dreamdraw.installation.plotting import PlotterStation  # noqa: E402
from dreamdraw.installation.snapshot import ShowSnapshot  # noqa: E402
from dreamdraw.installation.states import Event, State  # noqa: E402
from dreamdraw.plotter import PenInfo, Progress  # noqa: E402
from dreamdraw.speech import ArraySource  # noqa: E402

HOSTILE = (
    '<script>alert("x")</script> I dreamed of a house with a door that would not close and '
    "a corridorthatwentonandonandonwithoutanyendatallwhatsoever %s {0} \\n"
)


def kiosk_config(**show: object):
    return config_from_dict(
        {
            "drawing": {
                "clip": "test:tiny",
                "device": "cpu",
                "strokes": 24,
                "iterations": 2,
                "augmentations": 0,
                "canvas_px": 48,
                "progress_every": 1,
                "seed": 7,
            },
            "show": {"status_port": 0, "min_free_mb": 0.0, **show},
            "speech": {"mode": "push-to-talk"},
            "kiosk": {"width": 1024, "height": 600},
        }
    )


@pytest.fixture(scope="module")
def clip():
    return load_clip("test:tiny")


@pytest.fixture(scope="module")
def surface():
    pygame.display.init()
    yield pygame.display.set_mode((1024, 600))
    pygame.display.quit()


@pytest.fixture
def show(tmp_path, clip):
    silence = np.zeros(16000, dtype=np.float32)
    show = Show(
        kiosk_config(),
        tmp_path / "data",
        clip=clip,
        microphone=lambda: ArraySource(silence),
    )
    yield show
    show.stop()


@pytest.fixture
def keyboard_show(tmp_path, clip):
    show = Show(kiosk_config(keyboard_only=True), tmp_path / "kb", clip=clip)
    yield show
    show.stop()


def shot(
    kiosk: Kiosk,
    surface: pygame.Surface,
    folder: Path,
    name: str,
    snapshot: ShowSnapshot | None = None,
) -> Path:
    kiosk.render(surface, snapshot)
    path = folder / f"{name}.png"
    pygame.image.save(surface, str(path))
    return path


def ink_share(surface: pygame.Surface, kiosk: Kiosk) -> float:
    """Share of pixels that differ from the background: something was drawn."""
    pixels = pygame.surfarray.array3d(surface).reshape(-1, 3)
    return float((np.abs(pixels - np.array(kiosk.bg)).sum(axis=1) > 30).mean())


def key(kind: int, code: int) -> pygame.event.Event:
    return pygame.event.Event(kind, key=code, mod=0, unicode="", scancode=0)


def test_every_state_has_a_screen_and_a_screenshot(show, surface, artifacts, clip):
    kiosk = Kiosk(show)
    journey = show.journey
    snapshots = []

    def keep(progress):
        snapshots.append(progress)

    drawing = draw("a house by the sea", show.config.drawing, clip, keep)
    steps = [
        ("attract", None, {}),
        ("listening", Event.LISTEN, {}),
        ("transcribing", Event.HEARD, {}),
        ("confirm", Event.TRANSCRIBED, {"dream": HOSTILE}),
        ("drawing", Event.ACCEPT, {}),
        ("plotting", Event.DRAWN, {}),
        ("done", Event.PLOTTED, {"message": "Your drawing is ready at the plotter."}),
        ("fault", Event.FAULT, {"message": "The robot is resting for a moment."}),
    ]
    for name, event, kwargs in steps:
        if event is not None:
            assert journey.fire(event, **kwargs)
        if name == "fault":
            show.faults.report("disk_full", "only 12 MB free on the data disk", "error")
        now = show.snapshot()
        if name == "listening":
            now = replace(now, level_dbfs=-18.0)
        if name == "drawing":
            now = replace(now, draw_progress=snapshots[0])
        if name == "plotting":
            plot = Progress(5, 20, 0.25, 3.0, 9.0, PenInfo(1), 0)
            now = replace(now, draw_progress=snapshots[-1], plot_record=1, plot_progress=plot)
        assert now.state.value == name
        path = shot(kiosk, surface, artifacts, f"{list(State).index(now.state)}-{name}", now)
        assert path.is_file() and ink_share(surface, kiosk) > 0.003, name
    assert len(drawing.strokes) > 0


def test_polite_messages_have_their_screens(show, surface, artifacts):
    kiosk = Kiosk(show)
    show.journey.fire(Event.LISTEN)
    show.journey.fire(
        Event.NOTHING_HEARD, message="Sorry, I did not hear a dream. Would you try again?"
    )
    shot(kiosk, surface, artifacts, "nothing-heard")
    show.journey.fire(Event.TYPED, dream="a knife")
    show.journey.fire(Event.MODERATED, message=show.config.moderation.message)
    shot(kiosk, surface, artifacts, "moderated")
    assert show.state is State.ATTRACT and ink_share(surface, kiosk) > 0.003


def test_keyboard_mode_shows_the_typing_box(keyboard_show, surface, artifacts):
    kiosk = Kiosk(keyboard_show)
    for char in "I dreamed of a whale":
        kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text=char))
    assert keyboard_show.state is State.LISTENING
    assert kiosk.typing == "I dreamed of a whale"
    shot(kiosk, surface, artifacts, "keyboard-typing")


def test_enter_after_typing_sends_the_dream_to_the_drawing_engine(keyboard_show):
    kiosk = Kiosk(keyboard_show)
    for char in "a red door":
        kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text=char))
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_RETURN))
    assert keyboard_show.state is State.DRAWING
    assert keyboard_show.drawing.queue.get_nowait().text == "a red door"


def test_the_talk_key_starts_listening_and_its_release_ends_the_capture(show):
    kiosk = Kiosk(show)
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_SPACE))
    assert show.journey.history[0][2] is State.LISTENING
    assert show.capture.push_to_talk.pressed
    kiosk.handle(key(pygame.KEYUP, pygame.K_SPACE))
    assert show.capture.push_to_talk.released


def test_enter_on_the_confirm_screen_accepts_the_dream(show):
    kiosk = Kiosk(show)
    show.type_dream("a whale over the city")
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_RETURN))
    assert show.state is State.DRAWING


def test_typing_on_the_confirm_screen_corrects_the_heard_words(show):
    kiosk = Kiosk(show)
    show.type_dream("a whale over the sity")
    for _ in range(4):
        kiosk.handle(key(pygame.KEYDOWN, pygame.K_BACKSPACE))
    for char in "city":
        kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text=char))
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_RETURN))
    assert show.state is State.DRAWING
    assert show.drawing.queue.get_nowait().text == "a whale over the city"


def test_f10_closes_the_kiosk(show):
    kiosk = Kiosk(show)
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_F10))
    assert not kiosk.running


def test_long_visitor_text_wraps_within_the_width_and_stays_literal():
    pygame.font.init()
    font = pygame.font.Font(None, 30)
    lines = wrap_text(font, HOSTILE, 300)
    assert all(font.size(line)[0] <= 300 for line in lines)
    assert "".join(lines).replace(" ", "") == HOSTILE.replace(" ", "")
    assert lines[0].startswith("<script>alert")


def test_escape_never_closes_the_show_even_in_a_window(show):
    assert not show.config.kiosk.fullscreen
    kiosk = Kiosk(show)
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_ESCAPE))
    assert kiosk.running


def test_escape_while_typing_only_stops_typing(keyboard_show):
    kiosk = Kiosk(keyboard_show)
    kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text="a"))
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_ESCAPE))
    assert kiosk.running and kiosk.typing is None


def test_enter_on_an_empty_dream_tells_the_visitor_to_type_first(keyboard_show, surface):
    kiosk = Kiosk(keyboard_show)
    kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text=" "))
    kiosk.handle(key(pygame.KEYDOWN, pygame.K_RETURN))
    assert keyboard_show.state is State.LISTENING and kiosk.typing == " "
    kiosk.render(surface)
    with_hint = ink_share(surface, kiosk)
    kiosk._notice = None  # as when its few seconds are over
    kiosk.render(surface)
    assert with_hint > ink_share(surface, kiosk)


def test_a_pen_change_fills_the_plotting_screen_with_the_attendants_instruction(
    show, surface, artifacts
):
    kiosk = Kiosk(show)
    for event in (Event.TYPED, Event.ACCEPT, Event.DRAWN):
        assert show.journey.fire(event, dream="a whale")
    plot = Progress(5, 20, 0.25, 3.0, 9.0, PenInfo(1), 0)
    running = replace(show.snapshot(), plot_record=1, plot_progress=plot)
    shot(kiosk, surface, artifacts, "plotting", running)
    plotting = ink_share(surface, kiosk)
    waiting = replace(running, pen_change=PenInfo(2, "blue", "#0000ff", 0.8))
    shot(kiosk, surface, artifacts, "pen-change", waiting)
    assert ink_share(surface, kiosk) > plotting + 0.01  # title-size words, not a small footer


def test_the_thank_you_screen_shows_the_visitors_drawing(show, surface, artifacts, clip):
    kiosk = Kiosk(show)
    drawing = draw("a house by the sea", show.config.drawing, clip)
    for event in (Event.TYPED, Event.ACCEPT, Event.DRAWN, Event.PLOTTED):
        assert show.journey.fire(event, dream="a house by the sea")
    empty = replace(show.snapshot(), last_drawing=None)
    shot(kiosk, surface, artifacts, "done-empty", empty)
    without = ink_share(surface, kiosk)
    shot(kiosk, surface, artifacts, "done", replace(empty, last_drawing=drawing))
    assert ink_share(surface, kiosk) > without


def slideshow_area(surface: pygame.Surface) -> np.ndarray:
    """The attract screen's right half below its words and above the footer, where recent
    drawings are shown."""
    pixels = pygame.surfarray.array3d(surface)
    return pixels[surface.get_width() // 2 :, 250 : surface.get_height() - 100].copy()


def test_the_attract_screen_shows_recent_drawings_one_at_a_time_with_their_dreams(
    show, surface, artifacts, clip
):
    period = show.config.kiosk.attract_slide_s
    cycle = 3 * period  # three drawings: the first shows at the start of each cycle
    now = [(int(time.monotonic() // cycle) + 1) * cycle + period / 2]  # mid-slide
    kiosk = Kiosk(show, clock=lambda: now[0])
    dreams = ("a cat on a roof", "a boat in the rain", HOSTILE)
    drawings = tuple(draw(t, show.config.drawing, clip) for t in dreams)
    with_drawings = replace(show.snapshot(), finished=drawings)

    shot(kiosk, surface, artifacts, "attract-no-drawings-yet", show.snapshot())
    empty = slideshow_area(surface)
    assert not (np.abs(empty - np.array(kiosk.bg)).sum(axis=2) > 30).any()  # nothing shown

    seen = []
    for k in range(4):
        path = shot(kiosk, surface, artifacts, f"attract-slide-{k}", with_drawings)
        seen.append((kiosk.slide(len(drawings)), slideshow_area(surface)))
        assert path.is_file()
        now[0] += period
    # Newest first, one every attract_slide_s, round and round; each its own picture.
    assert [index for (index, _), _ in seen] == [0, 1, 2, 0]
    assert all(shown == 1.0 for (_, shown), _ in seen)
    assert not np.array_equal(seen[0][1], seen[1][1])
    assert not np.array_equal(seen[1][1], seen[2][1])
    assert np.array_equal(seen[0][1], seen[3][1])

    now[0] += 0.5 - period / 2  # half a second into the second drawing: both, blended
    shot(kiosk, surface, artifacts, "attract-cross-fade", with_drawings)
    assert kiosk.slide(len(drawings)) == (1, pytest.approx(0.5))
    blend = slideshow_area(surface)
    assert not np.array_equal(blend, seen[0][1]) and not np.array_equal(blend, seen[1][1])


def test_the_attract_slide_time_is_a_bounded_setting():
    assert kiosk_config().kiosk.attract_slide_s == 8.0
    with pytest.raises(ConfigError, match="attract_slide_s must be between 2 and 600"):
        config_from_dict({"kiosk": {"attract_slide_s": 0}})


def test_the_snapshot_keeps_earlier_drawings_from_view_without_public_consent(tmp_path, clip):
    config = kiosk_config(keyboard_only=True)
    config.consent.public = False
    show = Show(config, tmp_path / "private", clip=clip)
    try:
        show.drawing.finished.append(draw("a cat", config.drawing, clip))
        snapshot = show.snapshot()
        assert snapshot.finished == () and snapshot.last_drawing is not None
    finally:
        show.stop()


def test_the_kiosk_says_when_the_robot_draws_on_the_cpu(show, surface):
    kiosk = Kiosk(show)
    kiosk.render(surface)
    on_gpu = ink_share(surface, kiosk)
    show.faults.report("no_gpu", "no CUDA GPU")
    assert show.snapshot().notes == ("The robot draws more slowly today, with fewer strokes.",)
    kiosk.render(surface)
    assert ink_share(surface, kiosk) > on_gpu


@pytest.mark.parametrize("fullscreen", [False, True], ids=["windowed", "fullscreen"])
def test_a_whole_visit_by_keys(tmp_path, clip, surface, artifacts, fullscreen):
    config = kiosk_config(keyboard_only=True, analyse=False)
    config.kiosk.fullscreen = fullscreen
    config.kiosk.done_s = 30.0
    show = Show(config, tmp_path / "visit", clip=clip).start(status_page=False)
    kiosk = Kiosk(show, config.kiosk)
    seen = []
    try:
        for char in "a lighthouse in the fog":
            kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text=char))
        kiosk.handle(key(pygame.KEYDOWN, pygame.K_ESCAPE))  # a visitor's Esc: typing stops
        assert kiosk.running and kiosk.typing is None
        for char in "a lighthouse in the fog":
            kiosk.handle(pygame.event.Event(pygame.TEXTINPUT, text=char))
        kiosk.handle(key(pygame.KEYDOWN, pygame.K_RETURN))

        def rendered_until_done() -> bool:
            kiosk.render(surface)
            if not seen or seen[-1] is not show.state:
                seen.append(show.state)
                pygame.image.save(surface, str(artifacts / f"{len(seen)}-{show.state.value}.png"))
            return show.state is State.DONE

        assert show.wait_until(rendered_until_done, 60.0), seen
        assert seen[0] is State.DRAWING and seen[-1] is State.DONE
        assert show.snapshot().last_drawing.prompt == "a lighthouse in the fog"
        kiosk.handle(key(pygame.KEYDOWN, pygame.K_F10))
        assert not kiosk.running
    finally:
        show.stop()


def test_a_missing_microphone_is_said_in_words(tmp_path, clip):
    show = Show(kiosk_config(), tmp_path / "degraded", clip=clip, microphone=None)
    try:
        assert "No microphone today: please type your dream." in show.snapshot().notes
    finally:
        show.stop()


def test_a_missing_plotter_is_said_in_words(tmp_path, clip):
    station = PlotterStation(kiosk_config().plotter, port="/dev/null-no-plotter")
    show = Show(kiosk_config(keyboard_only=True), tmp_path / "away", clip=clip, plotter=station)
    try:
        station.state = "missing"  # as after a failed connect (see test_show for the real one)
        assert show.snapshot().notes == (
            "The plotter is resting: drawings are kept and plotted when it is back.",
        )
    finally:
        show.stop()
