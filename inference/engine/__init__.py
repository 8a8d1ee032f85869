"""The real continuous-batching engine: the shared ``Scheduler`` driving a torch executor."""

from inference.engine.engine import Engine
from inference.engine.engine_request import EngineRequest
from inference.engine.records import QueueSnapshot, RequestRecord, StepRecord, scheduler_overhead_share
from inference.engine.streaming import TokenEvent
from inference.engine.torch_executor import TorchExecutor

__all__ = ["Engine", "EngineRequest", "QueueSnapshot", "RequestRecord", "StepRecord", "TokenEvent", "TorchExecutor",
           "scheduler_overhead_share"]
