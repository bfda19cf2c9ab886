"""Network surgery between a random torchvision ResNet-18 and a random CLIP RN50."""

from __future__ import annotations

import open_clip
import pytest
import torch
from dreamdraw.analysis import AnalysisError
from dreamdraw.analysis.surgery import (
    STAGES,
    ActivationTaps,
    SurgeryResult,
    correlation_table,
    load_images,
    load_standalone,
    network_surgery,
)
from dreamdraw.drawing import ClipModel
from torch.nn import functional as F

from tests.cli_runner import run_cli


@pytest.fixture(scope="module")
def rn50() -> ClipModel:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = open_clip.create_model("RN50").eval().requires_grad_(False)
    mean = torch.tensor(open_clip.OPENAI_DATASET_MEAN)
    std = torch.tensor(open_clip.OPENAI_DATASET_STD)
    tokenizer = open_clip.get_tokenizer("RN50")
    return ClipModel(model, tokenizer, "RN50-random", 224, mean, std, torch.device("cpu"), True)


@pytest.fixture(scope="module")
def resnet18():
    with torch.random.fork_rng():
        torch.manual_seed(1)
        return load_standalone("torchvision:resnet18")


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    g = torch.Generator().manual_seed(2)
    base = torch.rand(2, 3, 1, 1, generator=g).expand(2, 3, 224, 224).clone()
    base[:, :, 60:160, 60:160] = torch.rand(2, 3, 100, 100, generator=g)
    return base


@pytest.fixture(scope="module")
def table(resnet18, rn50, images):
    return correlation_table(resnet18, rn50, images, batch_size=2)


def test_table_covers_every_standalone_conv_and_every_clip_channel(table, resnet18):
    z, stats = table
    assert z.shape == (4800 - 128 - 256 - 512, 256 + 512 + 1024 + 2048)
    assert stats["clip"]["layers"] == list(STAGES)
    assert not any("downsample" in n for n in stats["standalone"]["layers"])


def test_table_entry_is_the_mean_product_of_standardised_maps(table, resnet18, rn50, images):
    z, stats = table
    s_taps = ActivationTaps({"conv1": resnet18.conv1})
    c_taps = ActivationTaps({"layer1": rn50.model.visual.layer1})
    with torch.no_grad():
        resnet18(
            (images - torch.tensor([0.485, 0.456, 0.406])[:, None, None])
            / torch.tensor([0.229, 0.224, 0.225])[:, None, None]
        )
        rn50.encode_image(images)
    s_taps.close()
    c_taps.close()
    a = s_taps.outputs["conv1"][:, 3:4].double()  # [N, 1, 112, 112]
    b = c_taps.outputs["layer1"][:, 5:6].double()  # [N, 1, 56, 56]
    a = (a - a.mean()) / a.std(unbiased=False)
    b = (b - b.mean()) / b.std(unbiased=False)
    b = F.interpolate(b, size=a.shape[-2:], mode="bilinear", align_corners=False)
    assert float(z[3, 5]) == pytest.approx(float((a * b).mean()), abs=2e-4)


def test_surgery_scores_captions_before_and_after_each_stage(resnet18, rn50, images, table):
    captions = ["a red square", "a green circle", "handwritten text"]
    result = network_surgery(resnet18, rn50, images, captions, batch_size=2, table=table)
    plain = rn50.encode_image(images) @ rn50.encode_text(captions).T
    assert torch.allclose(torch.tensor(result.before), plain, atol=1e-4)
    for stage in STAGES:
        assert sum(result.tallies[stage].values()) == len(images)
        assert (
            len(result.matches[stage])
            == {"layer1": 256, "layer2": 512, "layer3": 1024, "layer4": 2048}[stage]
        )
    assert not torch.allclose(torch.tensor(result.after["layer4"]), plain)
    assert SurgeryResult.from_json(result.to_json()) == result


def test_unknown_standalone_model_is_a_clear_error():
    with pytest.raises(AnalysisError, match="torchvision:NAME"):
        load_standalone("resnet50")


def test_images_load_from_a_folder(tmp_path):
    from PIL import Image

    Image.new("RGB", (80, 40), "red").save(tmp_path / "a.png")
    images = load_images(tmp_path, size=32)
    assert images.shape == (1, 3, 32, 32) and images[0, 0].min() == 1.0


@pytest.fixture
def surgery_inputs(tmp_path, resnet18, images):
    """A checkpoint of the standalone model, two images and a captions file on disk."""
    from PIL import Image

    checkpoint = tmp_path / "resnet18.pt"
    torch.save(resnet18.state_dict(), checkpoint)
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(images):
        pixels = (image.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        Image.fromarray(pixels).save(folder / f"{i}.png")
    captions = tmp_path / "captions.txt"
    captions.write_text("# what the drawings might show\na whale\na city at night\n\na ladder\n")
    return checkpoint, folder, captions


def test_cli_surgery_runs_end_to_end_and_writes_the_result(tmp_path, surgery_inputs, capsys):
    checkpoint, folder, captions = surgery_inputs
    out = tmp_path / "surgery.json"
    code, printed, err = run_cli(
        capsys, "analyse", "surgery", "--model", "torchvision:resnet18",
        "--checkpoint", str(checkpoint), "--captions", str(captions), "--images", str(folder),
        "--clip", "RN50:random", "--batch-size", "2", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "2 images" in printed and "x 3840 CLIP channels" in printed
    result = SurgeryResult.from_json(out.read_text())
    assert result.captions == ["a whale", "a city at night", "a ladder"]
    assert set(result.tallies) == set(STAGES)
    assert all(sum(t.values()) > 0 for t in result.tallies.values())


def test_cli_surgery_with_a_checkpoint_of_another_model_is_one_line(
    tmp_path, surgery_inputs, capsys
):
    checkpoint, folder, captions = surgery_inputs
    code, _, err = run_cli(
        capsys, "analyse", "surgery", "--model", "torchvision:resnet50",
        "--checkpoint", str(checkpoint), "--captions", str(captions), "--images", str(folder),
        "--clip", "RN50:random",
    )  # fmt: skip
    assert code == 2 and "does not fit resnet50" in err and "Traceback" not in err
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    code, _, err = run_cli(
        capsys, "analyse", "surgery", "--captions", str(empty), "--images", str(folder),
        "--clip", "RN50:random",
    )  # fmt: skip
    assert code == 2 and "holds no captions" in err
