"""The neuron of Karpathy's tutorial, end to end through the library and the CLI."""
import json

from click.testing import CliRunner

import gradcli
from gradcli.cli import main


def test_neuron_numbers_from_the_tutorial():
    r = gradcli.grad("sig(a*x+b*y+c)", a=1, b=2, c=-3, x=-1, y=3)
    assert round(r.value, 4) == 0.8808
    assert {k: round(v, 3) for k, v in r.gradients.items()} == {
        "a": -0.105, "b": 0.315, "c": 0.105, "x": 0.105, "y": 0.21}


def test_cli_json_line():
    out = CliRunner().invoke(main, ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3", "--json"])
    assert out.exit_code == 0
    obj = json.loads(out.output)
    assert round(obj["value"], 4) == 0.8808
    assert round(obj["gradients"]["y"], 3) == 0.21
