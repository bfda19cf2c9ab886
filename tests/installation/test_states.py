"""The journey's state machine: every allowed transition, and events that must be ignored."""

from __future__ import annotations

import pytest
from dreamdraw.installation.states import TRANSITIONS, Event, Journey, State


def walk(journey: Journey, *events: Event) -> State:
    for event in events:
        assert journey.fire(event), f"{event} refused in {journey.state}"
    return journey.state


def test_a_spoken_dream_goes_from_attract_to_done():
    journey = Journey()
    final = walk(
        journey,
        Event.LISTEN,
        Event.HEARD,
        Event.TRANSCRIBED,
        Event.ACCEPT,
        Event.DRAWN,
        Event.PLOTTED,
    )
    assert final is State.DONE
    assert [h[2] for h in journey.history] == [
        State.LISTENING,
        State.TRANSCRIBING,
        State.CONFIRM,
        State.DRAWING,
        State.PLOTTING,
        State.DONE,
    ]


def test_the_done_screen_times_out_to_attract():
    journey = Journey()
    walk(journey, Event.TYPED, Event.ACCEPT, Event.DRAWN, Event.PLOTTED)
    assert walk(journey, Event.TIMEOUT) is State.ATTRACT


def test_the_next_visitor_may_speak_while_the_last_dream_is_plotted():
    journey = Journey()
    walk(journey, Event.TYPED, Event.ACCEPT, Event.DRAWN)
    assert journey.state is State.PLOTTING
    first = journey.screen.visitor
    assert walk(journey, Event.LISTEN) is State.LISTENING
    assert journey.screen.visitor == first + 1


def test_a_late_plotted_event_for_the_previous_visitor_is_ignored():
    journey = Journey()
    walk(journey, Event.TYPED, Event.ACCEPT, Event.DRAWN)
    previous = journey.screen.visitor
    walk(journey, Event.LISTEN, Event.HEARD)
    assert not journey.fire(Event.PLOTTED, visitor=previous, expect=State.PLOTTING)
    assert journey.state is State.TRANSCRIBING


@pytest.mark.parametrize(
    "events",
    [
        (Event.LISTEN, Event.NOTHING_HEARD),
        (Event.LISTEN, Event.HEARD, Event.NOTHING_HEARD),
        (Event.TYPED, Event.MODERATED),
        (Event.TYPED, Event.ACCEPT, Event.DRAW_FAILED),
    ],
    ids=["silence", "guards-dropped-everything", "moderated", "drawing-failed"],
)
def test_a_journey_that_ends_early_returns_to_attract_with_a_message(events):
    journey = Journey()
    walk(journey, *events[:-1])
    assert journey.fire(events[-1], message="sorry")
    assert journey.state is State.ATTRACT
    assert journey.screen.message == "sorry"
    assert journey.screen.dream == ""


def test_speak_again_goes_back_to_listening_and_forgets_the_text():
    journey = Journey()
    walk(journey, Event.LISTEN, Event.HEARD)
    journey.fire(Event.TRANSCRIBED, dream="a red door")
    assert journey.screen.dream == "a red door"
    assert walk(journey, Event.SPEAK_AGAIN) is State.LISTENING
    assert journey.screen.dream == ""


def test_the_confirm_screen_accepts_by_itself_on_timeout():
    journey = Journey()
    walk(journey, Event.TYPED)
    assert walk(journey, Event.TIMEOUT) is State.DRAWING


def test_a_deferred_plot_ends_the_visit_politely():
    journey = Journey()
    walk(journey, Event.TYPED, Event.ACCEPT, Event.DRAWN)
    assert journey.fire(Event.PLOT_DEFERRED, message="later")
    assert journey.state is State.DONE and journey.screen.message == "later"


@pytest.mark.parametrize("state", list(State))
def test_a_fault_stops_the_journey_from_every_state(state):
    assert TRANSITIONS[(state, Event.FAULT)] is State.FAULT


def test_recovery_returns_to_attract_and_nothing_else_leaves_fault():
    journey = Journey()
    walk(journey, Event.FAULT)
    for event in Event:
        if event not in (Event.RECOVERED, Event.FAULT):
            assert not journey.fire(event)
    assert walk(journey, Event.RECOVERED) is State.ATTRACT


def test_events_that_do_not_apply_change_nothing():
    journey = Journey()
    for event in (Event.ACCEPT, Event.DRAWN, Event.PLOTTED, Event.HEARD, Event.SPEAK_AGAIN):
        assert not journey.fire(event)
    assert journey.state is State.ATTRACT and list(journey.history) == []


def test_listeners_see_every_transition_with_its_event():
    journey = Journey()
    seen = []
    journey.subscribe(lambda screen, event: seen.append((screen.state, event)))
    walk(journey, Event.LISTEN, Event.NOTHING_HEARD)
    assert seen == [(State.LISTENING, Event.LISTEN), (State.ATTRACT, Event.NOTHING_HEARD)]


def test_a_typed_dream_starts_a_new_visitor_from_attract():
    journey = Journey()
    assert journey.fire(Event.TYPED, dream="a whale")
    assert journey.screen.visitor == 1 and journey.screen.dream == "a whale"
