"""`ChildMultiCall`, SpiffWorkflow's side alone: the calls of a parallel multi-instance call activity
wait on its one task, and their outputs land in the output collection in the items' order, for a
list, a mapping, a cardinality and no items at all; an activity with a completion condition keeps
SpiffWorkflow's task per call."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from workflows.engine import spiff_children

LOOP_ITEMS = "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
LOOP_COUNT = "<bpmn:loopCardinality>anzahl</bpmn:loopCardinality>"

CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call" />
    <bpmn:callActivity id="call" name="Teil" calledElement="part">
      <bpmn:multiInstanceLoopCharacteristics>
        LOOP
        <bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="item" name="item" />
        <bpmn:outputDataItem id="result" name="result" />
        CONDITION
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="e" />
    <bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>
"""

PART = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d2" targetNamespace="t">
  <bpmn:process id="part" isExecutable="true">
    <bpmn:ioSpecification>
      <bpmn:dataInput id="item" name="item" />
      <bpmn:dataInput id="faktor" name="faktor" />
      <bpmn:dataOutput id="result" name="result" />
      <bpmn:inputSet><bpmn:dataInputRefs>item</bpmn:dataInputRefs><bpmn:dataInputRefs>faktor</bpmn:dataInputRefs></bpmn:inputSet>
      <bpmn:outputSet><bpmn:dataOutputRefs>result</bpmn:dataOutputRefs></bpmn:outputSet>
    </bpmn:ioSpecification>
    <bpmn:startEvent id="ps" />
    <bpmn:sequenceFlow id="p1" sourceRef="ps" targetRef="pe" />
    <bpmn:endEvent id="pe" />
  </bpmn:process>
</bpmn:definitions>
"""


def caller(tmp_path: Any, loop: str = LOOP_ITEMS, condition: str = "") -> BpmnWorkflow:
    (tmp_path / "caller.bpmn").write_text(CALLER.replace("LOOP", loop).replace("CONDITION", condition))
    (tmp_path / "part.bpmn").write_text(PART)
    parser = spiff_children.ChildCallParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(tmp_path / "caller.bpmn"), str(tmp_path / "part.bpmn")])
    return BpmnWorkflow(parser.get_spec("caller"), parser.get_subprocess_specs("caller"))


def started(workflow: BpmnWorkflow, **data: Any) -> list[spiff_children.Call]:
    workflow.get_tasks(spec_name="s")[0].data.update(data, faktor=10)
    workflow.do_engine_steps()
    return spiff_children.pending_calls(workflow)


def hand_back(workflow: BpmnWorkflow, calls: list[spiff_children.Call]) -> None:
    """Each call's child multiplies its item by `faktor`; the last call is returned first."""
    for call in reversed(calls):
        inputs = spiff_children.take_inputs(workflow, call)
        assert set(inputs) == {"item", "faktor"}
        result = {"result": inputs["item"] * inputs["faktor"]}
        assert spiff_children.return_outputs(workflow, call.task_id, call.slot, result)
    workflow.do_engine_steps()


@pytest.mark.parametrize(("data", "loop", "expected"), [
    ({"items": [1, 2, 3]}, LOOP_ITEMS, [10, 20, 30]),
    ({"items": {"a": 1, "b": 2}}, LOOP_ITEMS, {"a": 10, "b": 20}),
    ({"anzahl": 3}, LOOP_COUNT, [0, 10, 20]),
])
def test_the_calls_share_one_waiting_task_and_return_in_item_order(tmp_path: Any, data: dict[str, Any], loop: str,
                                                                   expected: Any) -> None:
    workflow = caller(tmp_path, loop)
    calls = started(workflow, **data)
    assert len(calls) == len(expected) and len({c.task_id for c in calls}) == 1
    assert [c.index for c in calls] == list(range(len(expected)))
    assert not workflow.get_tasks(spec_name="call [child]")  # no task per call in the caller's state
    hand_back(workflow, calls)
    assert workflow.is_completed() and workflow.data["results"] == expected


def test_no_items_means_no_calls_and_the_activity_completes(tmp_path: Any) -> None:
    workflow = caller(tmp_path)
    assert started(workflow, items=[]) == []
    assert workflow.is_completed() and workflow.data["results"] == []


def test_a_call_returned_twice_or_after_the_activity_ended_is_refused(tmp_path: Any) -> None:
    workflow = caller(tmp_path)
    calls = started(workflow, items=[1])
    hand_back(workflow, calls)
    assert not spiff_children.return_outputs(workflow, calls[0].task_id, calls[0].slot, {"result": 1})


def test_a_completion_condition_keeps_a_task_per_call(tmp_path: Any) -> None:
    condition = "<bpmn:completionCondition>result &gt; 15</bpmn:completionCondition>"
    workflow = caller(tmp_path, condition=condition)
    calls = started(workflow, items=[1, 2, 3])
    assert len(calls) == 3 and len({c.task_id for c in calls}) == 3 and {c.slot for c in calls} == {None}
    assert len(workflow.get_tasks(spec_name="call [child]")) == 3
