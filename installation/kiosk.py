"""The visitor's screen (pygame): each state of the journey drawn, keys mapped to the show.

Headless (tests, a machine without a display): set SDL_VIDEODRIVER=dummy and
SDL_AUDIODRIVER=dummy before this module is imported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402 - the environment above must be set first
from dreamdraw.drawing import Drawing  # noqa: E402
from dreamdraw.drawing.clip import clip_spec_label  # noqa: E402
from dreamdraw.installation.dream import clean_dream  # noqa: E402
from dreamdraw.installation.orchestrator import Show  # noqa: E402
from dreamdraw.installation.settings import KioskSettings  # noqa: E402
from dreamdraw.installation.snapshot import ShowSnapshot  # noqa: E402
from dreamdraw.installation.states import State  # noqa: E402

__all__ = ["Kiosk", "run_kiosk", "wrap_text"]

_MARGIN = 48
_METER_FLOOR_DBFS = -60.0
_SLIDES = 8  # recent drawings the attract screen shows in turn
_FADE_S = 1.0  # the attract screen's cross-fade from one drawing to the next
_NOTICE_S = 4.0


def wrap_text(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """Break plain text into lines no wider than `width` px (long words are cut)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            while font.size(word)[0] > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.size(word[:cut])[0] > width:
                    cut -= 1
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:cut])
                word = word[cut:]
            candidate = f"{line} {word}".strip()
            if font.size(candidate)[0] <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _time_left(elapsed_s: float, done: int, total: int) -> str:
    """ ", about N s left" from the rate so far; "" before there is a rate."""
    if done < 1 or done >= total:
        return ""
    return f", about {elapsed_s / done * (total - done):.0f} s left"


def _colour(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour[1:], 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


class Kiosk:
    """Draws the show's current screen on a surface and turns keys into show actions."""

    def __init__(
        self,
        show: Show,
        settings: KioskSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.show = show
        self.clock = clock  # seconds, on the show's clock: ages of screens, the slideshow
        self.settings = settings or show.config.kiosk
        s = self.settings
        pygame.font.init()
        self.fonts = {
            "title": pygame.font.Font(None, round(s.font_size * 2.0)),
            "body": pygame.font.Font(None, s.font_size),
            "small": pygame.font.Font(None, round(s.font_size * 0.7)),
        }
        self.bg, self.fg, self.accent = (
            _colour(s.background),
            _colour(s.foreground),
            _colour(s.accent),
        )
        self.dim = tuple((a + b) // 2 for a, b in zip(self.bg, self.fg, strict=True))
        self.talk_key = pygame.key.key_code(s.talk_key)
        self.typing: str | None = None  # the visitor's text while typing (None: not typing)
        self.running = True
        self._previews: dict[tuple[int, int], pygame.Surface] = {}
        self._notice: tuple[str, float] | None = None  # a hint for the visitor, and since when
        self.snap = show.snapshot()  # what the last frame showed
        self.now = clock()  # when the last frame was drawn

    # -- input -----------------------------------------------------------------------------
    def handle(self, event: pygame.event.Event) -> None:
        """One pygame event: talk key, Enter (yes), typing, Esc (stop typing), F2 (pen changed),
        F10 (close the show: the attendant's key)."""
        show = self.show
        state = show.state
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_F10:  # the attendant's key; Esc is a visitor's, never quits
                self.running = False
            elif event.key == pygame.K_F2:
                show.confirm_pen_change()
            elif self.typing is not None:
                self._typing_key(event)
            elif event.key == self.talk_key and not show.keyboard_mode:
                if state is State.CONFIRM:
                    show.speak_again()
                    show.press_talk()
                else:
                    show.press_talk()
            elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER) and state is State.CONFIRM:
                show.accept()
            elif event.key == pygame.K_BACKSPACE and state is State.CONFIRM:
                self.typing = show.screen.dream[:-1]
        elif event.type == pygame.KEYUP and event.key == self.talk_key:
            show.release_talk()
        elif event.type == pygame.TEXTINPUT:
            self._text_input(event.text)

    def _text_input(self, text: str) -> None:
        show = self.show
        if self.typing is None:
            is_talk_key = self.settings.talk_key == "space" and text == " "
            if is_talk_key and not show.keyboard_mode:
                return
            if not (show.keyboard_mode or show.state is State.CONFIRM):
                return
            new_visitor = show.state in (State.ATTRACT, State.PLOTTING, State.DONE)
            if show.keyboard_mode and new_visitor and not show.listen():
                return
            self.typing = show.screen.dream if show.state is State.CONFIRM else ""
        self.typing = (self.typing + text)[: self.settings.max_dream_chars]

    def _typing_key(self, event: pygame.event.Event) -> None:
        assert self.typing is not None
        if event.key == pygame.K_BACKSPACE:
            self.typing = self.typing[:-1]
        elif event.key == pygame.K_ESCAPE:
            self.typing = None
        elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if not clean_dream(self.typing, self.settings.max_dream_chars):
                self._notice = ("Type your dream first, then press Enter.", self.clock())
                return
            text, self.typing = self.typing, None
            if self.show.type_dream(text) and self.show.state is State.CONFIRM:
                self.show.accept()

    # -- drawing the screen ----------------------------------------------------------------
    def render(self, surface: pygame.Surface, snapshot: ShowSnapshot | None = None) -> None:
        """Draw the show's current state (or `snapshot` of it) onto `surface`."""
        self.snap = snapshot or self.show.snapshot()
        self.now = self.clock()
        surface.fill(self.bg)
        screen = self.snap.screen
        if self.typing is not None and screen.state not in (
            State.LISTENING,
            State.CONFIRM,
            State.ATTRACT,
        ):
            self.typing = None
        {
            State.ATTRACT: self._attract,
            State.LISTENING: self._listening,
            State.TRANSCRIBING: self._transcribing,
            State.CONFIRM: self._confirm,
            State.DRAWING: self._drawing,
            State.PLOTTING: self._plotting,
            State.DONE: self._done,
            State.FAULT: self._fault,
        }[screen.state](surface)
        self._footer(surface)

    def _text(
        self,
        surface: pygame.Surface,
        text: str,
        top: int,
        font: str = "body",
        colour=None,
        width=None,
    ) -> int:
        """Plain text, wrapped, from `top`; returns the y below it. Never interpreted as markup."""
        f = self.fonts[font]
        width = width or surface.get_width() - 2 * _MARGIN
        for line in wrap_text(f, text, width):
            surface.blit(f.render(line, True, colour or self.fg), (_MARGIN, top))
            top += f.get_linesize()
        return top

    def _message(self, surface: pygame.Surface, top: int, width: int | None = None) -> int:
        """The polite line of the moment; on the attract screen it fades after message_s."""
        screen = self.snap.screen
        if screen.message and (
            screen.state is not State.ATTRACT or self._age() < self.settings.message_s
        ):
            return self._text(surface, screen.message, top, colour=self.accent, width=width)
        return top

    def _age(self) -> float:
        return self.now - self.snap.screen.since

    def _bar(
        self, surface: pygame.Surface, top: int, fraction: float, height: int = 24, x: int = _MARGIN
    ) -> int:
        """A progress bar (fraction in [0, 1]) from x to the right margin; returns the y below."""
        width = surface.get_width() - x - _MARGIN
        pygame.draw.rect(surface, self.dim, (x, top, width, height), width=2)
        filled = round(width * min(1.0, max(0.0, fraction)))
        if filled:
            pygame.draw.rect(surface, self.accent, (x, top, filled, height))
        return top + height + 16

    def _attract(self, surface: pygame.Surface) -> None:
        slides = list(reversed(self.snap.finished[-_SLIDES:]))  # newest first
        if self.typing is not None:
            slides = []  # the visitor's words get the whole screen
        # With drawings to show, the words take the left half and the slideshow the right.
        width = surface.get_width() // 2 - _MARGIN if slides else None
        top = self._text(surface, self.settings.title, _MARGIN, "title", width=width)
        top = self._message(surface, top + 24, width)
        if self.typing is not None:
            self._typing_box(surface, top + 24)
            return
        instructions = self.settings.instructions
        if self.snap.keyboard_mode:
            instructions = "Type your dream and press Enter."
        top = self._text(surface, instructions, top + 24, width=width)
        if not self.snap.can_take_dream:
            self._text(
                surface,
                "One moment please: the robot is still busy.",
                top + 24,
                colour=self.accent,
                width=width,
            )
        if slides:
            self._slideshow(surface, slides)

    def slide(self, count: int) -> tuple[int, float]:
        """Which of `count` drawings the attract screen shows now, and how far its fade-in is
        (0..1): each stays attract_slide_s on the kiosk's clock."""
        period = self.settings.attract_slide_s
        turn = int(self.now // period)
        return turn % count, min(1.0, (self.now - turn * period) / _FADE_S)

    def _slideshow(self, surface: pygame.Surface, drawings: list[Drawing]) -> None:
        """One recent drawing at a time, large, with its dream; the next one fades in over the
        last (its words after the last one's have faded out)."""
        index, shown = self.slide(len(drawings))
        if len(drawings) == 1:
            shown = 1.0
        left = surface.get_width() // 2 + _MARGIN // 2
        width = surface.get_width() - left - _MARGIN
        small = self.fonts["small"]
        caption_h = 3 * self.fonts["body"].get_linesize() + small.get_linesize() + 16
        height = surface.get_height() - 3 * _MARGIN - caption_h
        if shown < 1.0:
            before = drawings[index - 1]
            self._slide_words(surface, before, left, width, height, max(0.0, 1 - 2 * shown))
            self._slide_picture(surface, before, left, width, height, 1.0)
        self._slide_words(surface, drawings[index], left, width, height, max(0.0, 2 * shown - 1))
        self._slide_picture(surface, drawings[index], left, width, height, shown)
        label = f"dreamt here earlier ({index + 1} of {len(drawings)})"
        bottom = surface.get_height() - 2 * _MARGIN - small.get_linesize()
        surface.blit(small.render(label, True, self.dim), (left, bottom))

    def _slide_preview(self, drawing: Drawing, width: int, height: int) -> pygame.Surface:
        """The drawing at its largest within width x height px."""
        fitted = min(height, round(width * drawing.canvas_height / drawing.canvas_width))
        return self._preview_surface(drawing, max(16, fitted))

    def _slide_picture(
        self, surface: pygame.Surface, drawing: Drawing, left: int, width: int, height: int,
        opacity: float,
    ) -> None:  # fmt: skip
        preview = self._slide_preview(drawing, width, height)
        preview.set_alpha(round(255 * opacity))
        surface.blit(preview, (left + (width - preview.get_width()) // 2, _MARGIN))
        preview.set_alpha(None)

    def _slide_words(
        self, surface: pygame.Surface, drawing: Drawing, left: int, width: int, height: int,
        opacity: float,
    ) -> None:  # fmt: skip
        """The drawing's dream under its picture, at most three lines, as plain text."""
        if opacity <= 0:
            return
        body = self.fonts["body"]
        lines = wrap_text(body, f"\u201c{clean_dream(drawing.prompt, 200)}\u201d", width)
        if len(lines) > 3:
            lines = [*lines[:2], f"{lines[2]} \u2026"]
        top = _MARGIN + self._slide_preview(drawing, width, height).get_height() + 16
        for line in lines:
            text = body.render(line, True, self.fg)
            text.set_alpha(round(255 * opacity))
            surface.blit(text, (left, top))
            top += body.get_linesize()

    def _typing_box(self, surface: pygame.Surface, top: int) -> int:
        text = clean_dream(self.typing or "", self.settings.max_dream_chars)
        top = self._text(surface, "Type your dream, then press Enter:", top, "small", self.dim)
        bottom = self._text(surface, text + "_", top + 8)
        pygame.draw.line(
            surface,
            self.accent,
            (_MARGIN, bottom + 4),
            (surface.get_width() - _MARGIN, bottom + 4),
            2,
        )
        if self._notice is not None and self.now - self._notice[1] < _NOTICE_S:
            bottom = self._text(surface, self._notice[0], bottom + 16, colour=self.accent)
        return bottom + 16

    def _listening(self, surface: pygame.Surface) -> None:
        top = self._text(surface, "I am listening...", _MARGIN, "title")
        if self.snap.keyboard_mode or self.typing is not None:
            self._typing_box(surface, top + 24)
            return
        level = (self.snap.level_dbfs - _METER_FLOOR_DBFS) / -_METER_FLOOR_DBFS
        top = self._bar(surface, top + 32, level, height=40)
        if self.show.config.speech.mode == "push-to-talk":
            hint = (
                f"Hold {self.settings.talk_key.upper()} while you speak; let go when you are done."
            )
        else:
            hint = "Tell me your dream. When you pause, I will write it down."
        self._text(surface, hint, top + 8, colour=self.dim)

    def _transcribing(self, surface: pygame.Surface) -> None:
        dots = "." * (1 + int(self._age() * 2) % 3)
        self._text(surface, f"Writing down your dream{dots}", _MARGIN, "title")

    def _confirm(self, surface: pygame.Surface) -> None:
        top = self._text(surface, "Did I hear you right?", _MARGIN, "title")
        if self.typing is not None:
            self._typing_box(surface, top + 24)
            return
        top = self._text(surface, f"\u201c{self.snap.screen.dream}\u201d", top + 24)
        left = max(0, self.settings.confirm_s - self._age())
        top = self._text(
            surface, f"The robot starts drawing in {left:.0f} s.", top + 24, colour=self.accent
        )
        keys = "Enter: draw it now.   Type: correct the words."
        if not self.snap.keyboard_mode:
            keys += f"   {self.settings.talk_key.upper()}: speak again."
        self._text(surface, keys, top + 8, "small", self.dim)

    def _preview_surface(self, drawing: Drawing, height: int) -> pygame.Surface:
        key = (id(drawing), height)
        if key not in self._previews:
            if len(self._previews) > 2 * _SLIDES:  # only what is on screen is kept
                self._previews.clear()
            width = max(16, round(height * drawing.canvas_width / drawing.canvas_height))
            image = drawing.render(width_px=width)
            array = (image.clamp(0, 1) * 255).round().byte().permute(2, 1, 0).numpy()
            self._previews[key] = pygame.surfarray.make_surface(array)
        return self._previews[key]

    def _split(self, surface: pygame.Surface, drawing: Drawing | None) -> int:
        """The drawing on the left half; returns the x where the right column starts."""
        half = surface.get_width() // 2
        if drawing is not None:
            height = min(
                surface.get_height() - 3 * _MARGIN,
                round((half - _MARGIN) * drawing.canvas_height / drawing.canvas_width),
            )
            preview = self._preview_surface(drawing, height)
            surface.blit(preview, (_MARGIN, _MARGIN))
        return half + _MARGIN // 2

    def _column(
        self,
        surface: pygame.Surface,
        x: int,
        lines: list[tuple[str, str, object]],
        top: int = _MARGIN,
    ) -> int:
        width = surface.get_width() - x - _MARGIN
        for text, font, colour in lines:
            f = self.fonts[font]
            for line in wrap_text(f, text, width):
                surface.blit(f.render(line, True, colour or self.fg), (x, top))
                top += f.get_linesize()
            top += 12
        return top

    def _drawing(self, surface: pygame.Surface) -> None:
        progress = self.snap.draw_progress
        x = self._split(surface, progress.drawing if progress else None)
        top = self._column(
            surface,
            x,
            [
                ("The robot is drawing", "title", None),
                (f"\u201c{self.snap.screen.dream}\u201d", "body", None),
            ],
        )
        fraction = progress.iteration / progress.iterations if progress else 0.0
        top = self._bar(surface, top, fraction, x=x)
        if progress:
            step = f"step {progress.iteration} of {progress.iterations}"
            left = _time_left(progress.elapsed_s, progress.iteration, progress.iterations)
            self._column(surface, x, [(f"{step}{left}", "small", self.dim)], top)

    def _plotting(self, surface: pygame.Surface) -> None:
        snap = self.snap
        progress = snap.draw_progress
        x = self._split(surface, progress.drawing if progress else None)
        lines: list[tuple[str, str, object]] = [("The plotter is drawing", "title", None)]
        if snap.screen.message:
            lines.append((snap.screen.message, "body", self.accent))
        plot = snap.plot_progress
        top = self._column(surface, x, lines)
        if snap.pen_change is not None:  # the plotter waits: the attendant must act, not wait
            top = self._column(
                surface,
                x,
                [
                    ("The robot is changing pens.", "body", self.accent),
                    (f"Attendant: put in {snap.pen_change.label()}, then press F2.", "title", None),
                ],
                top,
            )
            if snap.pen_change.color:  # the pen's colour, as a swatch the attendant can match
                swatch = pygame.Rect(x, top, 160, 48)
                pygame.draw.rect(surface, _colour(snap.pen_change.color), swatch)
                pygame.draw.rect(surface, self.fg, swatch, width=2)
        elif plot is not None and snap.plot_record is not None:
            top = self._bar(surface, top, plot.fraction, x=x)
            left = f"about {plot.remaining_s:.0f} s left"
            self._column(surface, x, [(left, "small", self.dim)], top)
        else:
            waiting = snap.plot_queue.size
            self._column(
                surface,
                x,
                [(f"{waiting} drawing(s) in line for the plotter", "small", self.dim)],
                top,
            )
        if not snap.keyboard_mode:
            hint = f"Next visitor? Press {self.settings.talk_key.upper()} to tell your dream."
            self._text(surface, hint, surface.get_height() - 3 * _MARGIN, "small", self.dim)

    def _done(self, surface: pygame.Surface) -> None:
        x = self._split(surface, self.snap.last_drawing)
        lines: list[tuple[str, str, object]] = [("Thank you for your dream!", "title", None)]
        if self.snap.screen.dream:
            lines.append((f"\u201c{self.snap.screen.dream}\u201d", "body", None))
        if self.snap.screen.message:
            lines.append((self.snap.screen.message, "body", self.accent))
        self._column(surface, x, lines)

    def _fault(self, surface: pygame.Surface) -> None:
        top = self._text(surface, "The robot is resting", _MARGIN, "title")
        top = self._text(
            surface, self.snap.screen.message or "Please ask a member of staff.", top + 24
        )
        for fault in self.snap.faults:
            top = self._text(surface, f"[{fault.kind}] {fault.message}", top + 8, "small", self.dim)

    def _footer(self, surface: pygame.Surface) -> None:
        snap = self.snap
        status = f"drawings waiting for the plotter: {snap.plot_queue.size}/{snap.plot_queue.bound}"
        if snap.pen_change is not None:
            status = f"ATTENDANT: put in {snap.pen_change.label()}, then press F2"
        f = self.fonts["small"]
        surface.blit(f.render(status, True, self.dim), (_MARGIN, surface.get_height() - _MARGIN))
        for i, note in enumerate(snap.notes, start=2):
            surface.blit(
                f.render(note, True, self.accent),
                (_MARGIN, surface.get_height() - _MARGIN - i * f.get_linesize()),
            )
        note = clip_spec_label(self.show.config.drawing.clip)
        if note:  # visitors are told when the drawing model is a toy or has random weights
            line = f"drawn by {self.show.config.drawing.clip}: {note}"
            surface.blit(
                f.render(line, True, self.accent),
                (_MARGIN, surface.get_height() - _MARGIN - f.get_linesize()),
            )


def run_kiosk(show: Show, settings: KioskSettings | None = None) -> None:
    """Open the window (or full screen) and run the kiosk until F10 or the window closes."""
    settings = settings or show.config.kiosk
    pygame.display.init()
    pygame.display.set_caption("dreamdraw")
    if settings.fullscreen:
        surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        pygame.mouse.set_visible(False)
    else:
        surface = pygame.display.set_mode((settings.width, settings.height))
    pygame.key.start_text_input()
    kiosk = Kiosk(show, settings)
    clock = pygame.time.Clock()
    try:
        while kiosk.running:
            for event in pygame.event.get():
                kiosk.handle(event)
            kiosk.render(surface)
            pygame.display.flip()
            clock.tick(settings.fps)
    finally:
        pygame.quit()
