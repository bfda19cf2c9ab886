"""The persisted plot queue: order, capacity, crash safety, positions."""

from __future__ import annotations

from dreamdraw.installation.plot_queue import PlotQueue

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm"/>'


def test_drawings_come_out_oldest_first(tmp_path):
    q = PlotQueue(tmp_path, capacity=5)
    for record in (7, 3, 9):
        q.put(record, SVG, f"dream {record}")
    assert [e.record_id for e in q.entries()] == [7, 3, 9]
    assert q.next(timeout=0).record_id == 7


def test_a_full_queue_refuses_a_drawing(tmp_path):
    q = PlotQueue(tmp_path, capacity=2)
    assert q.put(1, SVG, "a") and q.put(2, SVG, "b")
    assert q.put(3, SVG, "c") is None
    assert len(q) == 2 and q.most_waiting == 2


def test_the_queue_survives_a_restart_with_its_files(tmp_path):
    PlotQueue(tmp_path, capacity=5).put(4, SVG, "a whale\nover the city")
    (entry,) = PlotQueue(tmp_path, capacity=5).entries()
    assert entry.record_id == 4 and entry.dream == "a whale\nover the city"
    assert entry.svg_path.read_text() == SVG and not entry.job_path.exists()


def test_sequence_numbers_keep_growing_after_removals(tmp_path):
    q = PlotQueue(tmp_path, capacity=5)
    first = q.put(1, SVG, "a")
    q.remove(first)
    second = PlotQueue(tmp_path, capacity=5).put(2, SVG, "b")
    assert second.seq > first.seq


def test_a_half_written_entry_is_ignored_and_cleaned_up(tmp_path):
    (tmp_path / ".tmp-00000009").mkdir()
    (tmp_path / "00000009-9").mkdir()  # no entry.json: a crash mid-write
    q = PlotQueue(tmp_path, capacity=5)
    assert q.entries() == [] and not (tmp_path / ".tmp-00000009").exists()


def test_position_counts_the_drawings_ahead(tmp_path):
    q = PlotQueue(tmp_path, capacity=5)
    for record in (1, 2, 3):
        q.put(record, SVG, "d")
    assert [q.position(r) for r in (1, 3, 99)] == [0, 2, None]


def test_next_waits_for_a_drawing_and_gives_up_after_its_timeout(tmp_path):
    assert PlotQueue(tmp_path, capacity=1).next(timeout=0.05) is None
