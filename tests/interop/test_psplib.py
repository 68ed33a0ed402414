"""PSPLIB readers: instance files and the four value-table formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from twofold.engine.levelling_network import compile_network
from twofold.interop.psplib import (
    BestKnown,
    PsplibFormatError,
    instance_key,
    parse_rcp,
    parse_sm,
    parse_value_table,
    read_sm,
    read_value_table,
    to_levelling_problem,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "psplib"

SMALL_SM = """\
************************************************************************
file with basedata            : tiny.bas
initial value random generator: 1
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  5
horizon                       :  9
RESOURCES
  - renewable                 :  2   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PROJECT INFORMATION:
pronr.  #jobs rel.date duedate tardcost  MPM-Time
    1      3      0        5        1        5
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           5
   4        1          1           5
   5        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     2       3    0
  3      1     4       2    1
  4      1     3       0    2
  5      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    4    2
************************************************************************
"""


def test_parse_sm_reads_every_section() -> None:
    instance = parse_sm(SMALL_SM, name="j31_2")
    assert instance.durations == (0, 2, 4, 3, 0)
    assert instance.successors == ((1, 2), (3,), (4,), (4,), ())
    assert instance.demands == ((0, 0), (3, 0), (2, 1), (0, 2), (0, 0))
    assert instance.capacities == (4, 2)
    assert instance.horizon == 9
    assert instance.cpm_makespan == 5
    assert instance.job_count == 5


# The same instance in Patterson's format, the last successor list wrapped onto a second line
# as some generators write long lists.
SMALL_RCP = """\
5 2
4 2

0 0 0 2 2
3
2 3 0 1 4
4 2 1 1 5
3 0 2 1
  5
0 0 0 0
"""


def test_parse_rcp_reads_the_same_instance_as_the_sm_file() -> None:
    patterson = parse_rcp(SMALL_RCP, name="pat1")
    sm = parse_sm(SMALL_SM, name="pat1")
    assert patterson == sm  # horizon 9 and critical path 5 computed, as the .sm file states


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5 2\n4 2\n0 0 0 2 2 3\n", "ends inside"),
        (SMALL_RCP.replace("3 0 2 1\n  5", "3 0 2 1\n  9"), "out of range"),
        (SMALL_RCP.replace("3 0 2 1\n  5", "3 0 2 1\n  2"), "cycle"),
        (SMALL_RCP + "7\n", "after the last job"),
        ("5 2\n4 x\n", "not a Patterson"),
    ],
)
def test_parse_rcp_names_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(PsplibFormatError, match=message):
        parse_rcp(text)


def test_to_levelling_problem_keeps_links_and_critical_path() -> None:
    problem = to_levelling_problem(parse_sm(SMALL_SM))
    assert len(problem.links) == 5
    assert [resource.capacity for resource in problem.resources] == [4, 2]
    assert compile_network(problem).makespan_lower_bound() == 5


def test_parse_sm_rejects_multi_mode_and_garbage() -> None:
    with pytest.raises(PsplibFormatError, match="modes"):
        parse_sm(SMALL_SM.replace("   2        1          1           4", "   2  2  1  4"))
    with pytest.raises(PsplibFormatError):
        parse_sm("not an instance")


def test_instance_key_uses_the_job_count_to_split_the_name() -> None:
    assert instance_key("j3010_1", 32) == (10, 1)
    assert instance_key("j6048_10", 62) == (48, 10)
    assert instance_key("j1201_3", 122) == (1, 3)
    with pytest.raises(PsplibFormatError):
        instance_key("hello", 32)


def test_optimum_table_is_proven() -> None:
    text = "Paramter Instance Makespan CPU-Time[sec.]\n-----\n1       1         43       0.30\n"
    assert parse_value_table(text) == {(1, 1): BestKnown(43, True, 43)}


def test_heuristic_table_is_an_upper_bound_only() -> None:
    text = "Par\tInst\tMakespan\tDate\tAuthor\n=====\n1\t2\t47\t\tTue May 29 2007  X\n"
    assert parse_value_table(text) == {(1, 2): BestKnown(47, False, None)}


def test_bounds_table_marks_proven_rows() -> None:
    text = (
        "  Par  Inst    UB   LB         Author LB\n  1   1    77    77    *\n  1   2    70    68\n"
    )
    assert parse_value_table(text) == {
        (1, 1): BestKnown(77, True, 77),
        (1, 2): BestKnown(70, False, 68),
    }


def test_creemers_csv_table() -> None:
    text = (
        "\ufeff# Author(s);Creemers;;\r\nID;Type;Value;Time;Solution;;\r\n"
        "1;optimal;77;0;0;0\r\n12;heuristic;90;5;0\r\n12;lower bound;85;;\r\n"
    )
    assert parse_value_table(text) == {
        (1, 1): BestKnown(77, True, 77),
        (2, 2): BestKnown(90, False, 85),
    }


def test_empty_table_is_an_error() -> None:
    with pytest.raises(PsplibFormatError):
        parse_value_table("nothing here")


def _require_data() -> Path:
    if not (DATA / "j30").is_dir():
        pytest.skip(f"PSPLIB data not found at {DATA}")
    return DATA


def test_real_j30_files_parse_and_match_their_critical_path() -> None:
    data = _require_data()
    paths = sorted((data / "j30").glob("*.sm"))
    assert len(paths) == 480
    table = read_value_table(data / "j30opt.sm")
    for path in paths[::10]:
        instance = read_sm(path)
        assert instance.job_count == 32
        network = compile_network(to_levelling_problem(instance))
        assert network.makespan_lower_bound() == instance.cpm_makespan
        assert instance_key(instance.name, instance.job_count) in table


def test_real_tables_have_the_documented_sizes() -> None:
    data = _require_data()
    assert len(read_value_table(data / "j30opt.sm")) == 480
    assert read_value_table(data / "j30opt.sm")[(1, 1)] == BestKnown(43, True, 43)
    assert len(read_value_table(data / "j60hrs.sm")) == 480
    lower_bounds = read_value_table(data / "j60lb.sm")
    assert len(lower_bounds) == 410
    creemers = read_value_table(data / "J60_C.csv")
    assert sum(entry.proven_optimal for entry in creemers.values()) == 457
