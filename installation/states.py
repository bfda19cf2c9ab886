"""The visitor's journey as explicit states, events and one table of allowed transitions."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["TRANSITIONS", "Event", "Journey", "Screen", "State"]

log = logging.getLogger("dreamdraw.show")

_HISTORY = 100  # transitions kept in Journey.history (about 20 visitors)


class State(enum.StrEnum):
    """What the kiosk shows; one visitor at a time is in front of it."""

    ATTRACT = "attract"
    LISTENING = "listening"
    TRANSCRIBING = "transcribing"
    CONFIRM = "confirm"
    DRAWING = "drawing"
    PLOTTING = "plotting"
    DONE = "done"
    FAULT = "fault"


class Event(enum.StrEnum):
    """What can happen to the journey: a visitor's action, a stage finishing, a fault."""

    LISTEN = "listen"  # a visitor pressed the talk key (or typed, in keyboard mode)
    HEARD = "heard"  # the capture holds speech: transcribe it
    NOTHING_HEARD = "nothing_heard"  # silence, noise, or the guards dropped everything
    TRANSCRIBED = "transcribed"  # the text is ready to confirm
    TYPED = "typed"  # the visitor typed (or corrected) the dream
    SPEAK_AGAIN = "speak_again"
    ACCEPT = "accept"  # confirmed (key or timeout): the dream goes to the drawing engine
    MODERATED = "moderated"  # the dream is on the word list: not drawn
    DRAWN = "drawn"  # the drawing exists and is archived
    DRAW_FAILED = "draw_failed"
    PLOTTED = "plotted"
    PLOT_DEFERRED = "plot_deferred"  # the drawing waits in the plot queue
    TIMEOUT = "timeout"  # a screen's time ran out
    FAULT = "fault"  # the show cannot take dreams (disk full, a part missing)
    RECOVERED = "recovered"


S, E = State, Event
# (state, event) -> next state. Anything else is ignored (and logged): stale events from a
# worker that finished after the visitor moved on must never derail the journey.
TRANSITIONS: dict[tuple[State, Event], State] = {
    (S.ATTRACT, E.LISTEN): S.LISTENING,
    (S.ATTRACT, E.TYPED): S.CONFIRM,
    (S.LISTENING, E.HEARD): S.TRANSCRIBING,
    (S.LISTENING, E.TYPED): S.CONFIRM,
    (S.LISTENING, E.NOTHING_HEARD): S.ATTRACT,
    (S.LISTENING, E.TIMEOUT): S.ATTRACT,
    (S.TRANSCRIBING, E.TRANSCRIBED): S.CONFIRM,
    (S.TRANSCRIBING, E.NOTHING_HEARD): S.ATTRACT,
    (S.CONFIRM, E.ACCEPT): S.DRAWING,
    (S.CONFIRM, E.TIMEOUT): S.DRAWING,
    (S.CONFIRM, E.TYPED): S.CONFIRM,
    (S.CONFIRM, E.SPEAK_AGAIN): S.LISTENING,
    (S.CONFIRM, E.MODERATED): S.ATTRACT,
    (S.DRAWING, E.DRAWN): S.PLOTTING,
    (S.DRAWING, E.MODERATED): S.ATTRACT,
    (S.DRAWING, E.DRAW_FAILED): S.ATTRACT,
    (S.PLOTTING, E.PLOTTED): S.DONE,
    (S.PLOTTING, E.PLOT_DEFERRED): S.DONE,
    (S.PLOTTING, E.LISTEN): S.LISTENING,  # the next visitor speaks while the plotter works
    (S.PLOTTING, E.TYPED): S.CONFIRM,
    (S.DONE, E.TIMEOUT): S.ATTRACT,
    (S.DONE, E.LISTEN): S.LISTENING,
    (S.DONE, E.TYPED): S.CONFIRM,
    (S.FAULT, E.RECOVERED): S.ATTRACT,
}
# A fault stops the journey from any state; a second fault updates the operator message.
for _state in State:
    TRANSITIONS[(_state, E.FAULT)] = S.FAULT


@dataclass(frozen=True)
class Screen:
    """What the kiosk draws now: the state, the visitor's dream, a message, and since when.

    `dream` is untrusted visitor text (render it as plain text only). `visitor` counts
    journeys; `message` is a polite line for the visitor (nothing heard, moderated, a fault).
    """

    state: State = State.ATTRACT
    dream: str = ""
    message: str = ""
    visitor: int = 0
    since: float = field(default_factory=time.monotonic)


class Journey:
    """The state machine: fire(event) moves along TRANSITIONS; listeners see every new Screen."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._screen = Screen()
        self._listeners: list[Callable[[Screen, Event], None]] = []
        # The latest transitions, for tests and debugging; a month-long show keeps no more.
        self.history: deque[tuple[State, Event, State]] = deque(maxlen=_HISTORY)

    @property
    def screen(self) -> Screen:
        with self._lock:
            return self._screen

    @property
    def state(self) -> State:
        return self.screen.state

    def subscribe(self, listener: Callable[[Screen, Event], None]) -> None:
        """Call listener(screen, event) after every transition (from the firing thread)."""
        self._listeners.append(listener)

    def fire(
        self,
        event: Event,
        *,
        dream: str | None = None,
        message: str = "",
        visitor: int | None = None,
        expect: State | tuple[State, ...] | None = None,
    ) -> bool:
        """Apply `event`; False (nothing changes) when the table has no such transition.

        `expect`: fire only while the journey is in this state (or one of these), so a
        worker's late event for an earlier visitor cannot move the next visitor's journey.
        `visitor`: fire only while this visitor's journey is shown (None: any).
        """
        with self._lock:
            current = self._screen
            wanted = (expect,) if isinstance(expect, State) else expect
            if wanted is not None and current.state not in wanted:
                return False
            if visitor is not None and visitor != current.visitor:
                return False
            target = TRANSITIONS.get((current.state, event))
            if target is None:
                log.debug("event %s ignored in state %s", event.value, current.state.value)
                return False
            starts_journey = target in (State.LISTENING, State.CONFIRM) and current.state in (
                State.ATTRACT,
                State.PLOTTING,
                State.DONE,
            )
            self._screen = Screen(
                state=target,
                dream=current.dream if dream is None else dream,
                message=message,
                visitor=current.visitor + 1 if starts_journey else current.visitor,
            )
            if target in (State.ATTRACT, State.LISTENING) and dream is None:
                self._screen = Screen(
                    state=target, dream="", message=message, visitor=self._screen.visitor
                )
            self.history.append((current.state, event, target))
            screen = self._screen
        log.info(
            "state %s -> %s on %s",
            current.state.value,
            target.value,
            event.value,
            extra={"state": target.value, "event": event.value, "visitor": screen.visitor},
        )
        for listener in list(self._listeners):
            listener(screen, event)
        return True
