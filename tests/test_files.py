"""--svg FILE as a user names it: never the program's own file, never `-`
(standard output already has the table), never an empty name or a folder."""
import os
import subprocess
import sys

import pytest

PROGRAM = "x = 2; x*x\n"


def gradcli(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)
    return done.returncode, done.stdout, " ".join(done.stderr.split())


@pytest.fixture
def prog(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


@pytest.mark.parametrize("svg", ["prog.py", "./prog.py", "../{dir}/prog.py", "{dir}/prog.py", "same.py"])
def test_the_picture_never_replaces_the_program(tmp_path, prog, svg):
    os.link(prog, tmp_path / "same.py")  # a hard link: another name, the same file
    code, out, err = gradcli("-f", "prog.py", "--svg", svg.format(dir=tmp_path.name if "../" in svg else tmp_path),
                             cwd=tmp_path)
    assert code == 2 and out == ""
    assert "is the program's own file (-f prog.py): the picture would replace the program" in err
    assert "hint: give another name, as in --svg" in err
    assert prog.read_text() == PROGRAM


def test_a_link_to_the_program_is_the_program(tmp_path, prog):
    (tmp_path / "link.py").symlink_to(prog)
    code, _, err = gradcli("-f", "link.py", "--svg", "prog.py", cwd=tmp_path)
    assert code == 2 and "the program's own file (-f link.py)" in err
    assert prog.read_text() == PROGRAM


def test_dash_is_refused_and_makes_no_file(tmp_path, prog):
    code, out, err = gradcli("-f", "prog.py", "--svg", "-", cwd=tmp_path)
    assert code == 2 and out == ""
    assert "--svg - would mix the picture into what gradcli prints on standard output" in err
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("name", ["", " "])
def test_an_empty_name_is_refused(tmp_path, prog, name):
    code, out, err = gradcli("-f", "prog.py", "--svg", name, cwd=tmp_path)
    assert code == 2 and out == ""
    assert "gradcli: input error: --svg needs a file name" in err and "as in --svg table.svg" in err


def test_a_folder_gets_a_gradcli_message(tmp_path, prog):
    (tmp_path / "pics").mkdir()
    code, out, err = gradcli("-f", "prog.py", "--svg", "pics", cwd=tmp_path)
    assert code == 2 and out == ""
    assert "gradcli: input error: --svg pics is a folder, not a file" in err
    assert "give a file name in it, as in --svg %s" % os.path.join("pics", "table.svg") in err


def test_another_name_next_to_the_program_is_written(tmp_path, prog):
    code, out, err = gradcli("-f", "prog.py", "--svg", "prog.svg", cwd=tmp_path)
    assert code == 0 and "output x*x = 4" in out and err == ""
    assert (tmp_path / "prog.svg").read_text().startswith("<svg")
    assert prog.read_text() == PROGRAM
