"""analyse_pair end to end with the tiny CLIP, and the `dreamdraw analyse` commands."""

from __future__ import annotations

import json

import pytest
from dreamdraw.analysis import CLUSTERS, AnalysisError, AnalysisSettings, PairAnalysis, analyse_pair
from dreamdraw.installation.cli import main
from PIL import Image

from tests.analysis.analysis_samples import make_drawing

FAST = AnalysisSettings(fixlip_budget=256, fixlip_heldout=64, batch_size=32)
DREAM = "I dreamt of a red whale flying over the city"


@pytest.fixture(scope="module")
def analysed(tiny_clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("pair")
    result = analyse_pair(DREAM, make_drawing(), tiny_clip, FAST, out_dir=out, speech_logprob=-0.3)
    return result, out


def test_pair_gets_one_of_the_four_clusters_with_a_rationale(analysed):
    result, _ = analysed
    assert result.cluster in CLUSTERS
    assert 0.0 < result.confidence <= 1.0
    assert (
        f"{result.evidence.cosine:.3f}" in result.rationale
        or f"{result.evidence.writing_share:.2f}" in result.rationale
    )


def test_pair_writes_analysis_json_and_png_figures(analysed):
    result, out = analysed
    assert set(result.figures) == {"concepts.png", "fixlip_words.png", "fixlip_top_pairs.png"}
    for name in result.figures:
        with Image.open(out / name) as img:
            assert img.format == "PNG" and img.width > 100
    data = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    assert data["format"] == "dreamdraw.analysis/1"
    assert (
        data["cluster"] == result.cluster and data["display_name"] == CLUSTERS[result.cluster].name
    )


def test_pair_analysis_round_trips_through_json(analysed):
    result, _ = analysed
    back = PairAnalysis.from_json(result.to_json())
    assert back.to_json() == result.to_json()


def test_pair_explains_every_patch_and_word(analysed):
    result, _ = analysed
    fx = result.fixlip
    assert fx.n_image == 49 and fx.player_names[49:] == DREAM.split()
    assert fx.image_text.shape == (49, 10)
    assert fx.fill == "white" and fx.value == "cosine"
    assert fx.value_full == pytest.approx(result.alignment.cosine, abs=1e-5)
    assert result.evidence.main_word in ("red", "whale", "flying", "city")
    assert result.evidence.main_word_top is not None


def test_pair_ablates_each_stroke_of_a_drawing(analysed):
    result, _ = analysed
    assert len(result.strokes.carries) == 5
    assert sum(result.strokes.family_tally.values()) == 5


def test_pair_accepts_a_png_and_reports_truncation(tiny_clip, tmp_path):
    make_drawing().to_png(tmp_path / "d.png")
    long_dream = " ".join(["whale"] * 90)
    settings = AnalysisSettings(fixlip=False)
    result = analyse_pair(long_dream, tmp_path / "d.png", tiny_clip, settings)
    assert result.strokes is None and result.fixlip is None
    assert len(result.truncated_words) == 90 - 75
    assert "truncated" in result.rationale
    assert result.evidence.main_word_top is None


def test_empty_text_is_refused(tiny_clip, line_drawing):
    with pytest.raises(AnalysisError, match="empty"):
        analyse_pair("  \n", line_drawing, tiny_clip, FAST)


def test_cli_pair_writes_the_analysis(tmp_path, line_drawing, capsys):
    line_drawing.save(tmp_path / "d.json")
    main(
        [
            "analyse",
            "pair",
            DREAM,
            str(tmp_path / "d.json"),
            "--out",
            str(tmp_path / "out"),
            "--clip",
            "test:tiny",
            "--no-fixlip",
        ]
    )
    out = capsys.readouterr().out
    assert "confidence" in out
    assert PairAnalysis.from_json((tmp_path / "out" / "analysis.json").read_text()).fixlip is None


def test_cli_reports_a_blank_drawing_in_one_line(tmp_path, capsys):
    Image.new("RGB", (64, 64), "white").save(tmp_path / "blank.png")
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "analyse",
                "pair",
                DREAM,
                str(tmp_path / "blank.png"),
                "--out",
                str(tmp_path / "o"),
                "--clip",
                "test:tiny",
            ]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "blank" in err and "Traceback" not in err


def test_cli_agreement_prints_accuracy_and_kappa(tmp_path, capsys):
    rows = [
        {"id": 1, "cluster": "clear_concept", "curator_label": "clear concept"},
        {"id": 2, "cluster": "text_as_image", "curator_label": "text_as_image"},
        {"id": 3, "cluster": "indeterminacy", "curator_label": "lost_in_translation"},
        {"id": 4, "cluster": "indeterminacy"},
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    main(["analyse", "agreement", str(path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["n"] == 3 and data["accuracy"] == pytest.approx(2 / 3)


def test_cli_agreement_reads_csv_and_rejects_unknown_labels(tmp_path, capsys):
    path = tmp_path / "labels.csv"
    path.write_text("id,cluster,curator_label\n1,clear_concept,dreamy\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["analyse", "agreement", str(path)])
    assert "unknown cluster 'dreamy'" in capsys.readouterr().err
