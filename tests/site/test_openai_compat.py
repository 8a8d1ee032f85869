"""v1/: the official openai client against a real server, and every bad request answered in
OpenAI's error shape naming the field."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx2 as httpx  # the HTTP client the openai package is built on
import openai
import pytest

from inference.triage.base import MAX_CALL_TEXT_CHARS
from triage_site.api.openai_schemas import MAX_MESSAGES_CHARS
from triage_site.api.tokens import api_token_create
from triage_site.models import Call, CallSource, CallStatus

ROOT = Path(__file__).resolve().parents[2]
MODEL = "smollm2-135m-instruct"  # the directory name of the LM the server runs
TEXT = "My wife has a bad nosebleed that will not stop after twenty minutes of pressure."
SERVER_START_S = 120


# -- the real server ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_lm_dir, tiny_artefact_dir, minilm_length_dir):
    """daphne on a free port, embedded set-up: SQLite file, in-memory channel layer, the engine
    in the web process on the tiny LM, the tiny classifier. Yields (base URL, token)."""
    root = tmp_path_factory.mktemp("server")
    models = root / "models"
    (models / "triage").mkdir(parents=True)
    (models / MODEL).symlink_to(tiny_lm_dir, target_is_directory=True)
    (models / "triage" / "minilm").symlink_to(tiny_artefact_dir, target_is_directory=True)
    (models / "length").symlink_to(minilm_length_dir, target_is_directory=True)
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "TRIAGE_DEVICE")}
    env.update(DJANGO_SETTINGS_MODULE="triage_site.settings.local", DJANGO_DEBUG="0",
               DJANGO_SECRET_KEY="test-only", DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
               TRIAGE_MODELS_DIR=str(models), TRIAGE_CLASSIFIER="encoder", TRIAGE_DEVICE="cpu")
    setup = ("from django.contrib.auth import get_user_model\n"
             "from django.core.management import call_command\n"
             "call_command('migrate', verbosity=0)\n"
             "get_user_model().objects.create_user('openai-client')\n"
             "call_command('create_api_token', 'openai-client', name='tests')\n")
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = root / "daphne.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                    "triage_site.asgi:application"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log_path)
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"daphne did not answer within {SERVER_START_S} s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def openai_client(server) -> openai.OpenAI:
    url, token = server
    with openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=60) as client:
        yield client


def stored_call(server, completion_id: str) -> dict:
    """The call behind a completion, through the JSON API (the id carries its public id)."""
    url, token = server
    public_id = uuid.UUID(hex=completion_id.removeprefix("chatcmpl-"))
    response = httpx.get(f"{url}/api/calls/{public_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.json()


def test_the_openai_client_lists_the_model_and_gets_a_completion(server, openai_client):
    assert [model.id for model in openai_client.models.list()] == [MODEL]
    completion = openai_client.chat.completions.create(
        model=MODEL, max_tokens=8,
        messages=[{"role": "system", "content": "You help emergency dispatchers."},
                  {"role": "user", "content": TEXT}])
    choice = completion.choices[0]
    call = stored_call(server, completion.id)
    assert call["status"] == CallStatus.DONE and call["source"] == CallSource.API
    assert call["text"] == TEXT and call["priority"] == call["predicted_priority"] in range(5)
    assert choice.message.role == "assistant" and choice.message.content == call["response"]
    assert completion.usage.completion_tokens == call["output_tokens"]
    assert choice.finish_reason == ("length" if call["output_tokens"] == 8 else "stop")
    assert completion.usage.prompt_tokens > len(TEXT.split())  # the chat template's tokens too
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + call["output_tokens"]


def test_streaming_delivers_the_tokens_in_several_chunks(server, openai_client):
    stream = openai_client.chat.completions.create(
        model=MODEL, max_tokens=24, stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": TEXT}], extra_body={"priority": 0})
    chunks = list(stream)
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) >= 2
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish in (["length"], ["stop"])
    call = stored_call(server, chunks[0].id)
    assert "".join(texts) == call["response"] and call["status"] == CallStatus.DONE
    assert call["priority"] == call["override_priority"] == 0  # the client's priority was used
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == call["output_tokens"]


def test_the_raw_stream_is_server_sent_events_ending_in_done(server):
    url, token = server
    body = {"model": MODEL, "max_tokens": 4, "stream": True, "messages": [{"role": "user", "content": TEXT}]}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[0].removeprefix("data: "))["object"] == "chat.completion.chunk"


def test_the_client_raises_its_own_errors(server, openai_client):
    with pytest.raises(openai.BadRequestError) as bad:
        openai_client.chat.completions.create(model=MODEL, messages=[{"role": "tool", "content": "42"}])
    assert bad.value.param == "messages[0].role" and "unsupported role 'tool'" in bad.value.message
    with pytest.raises(openai.BadRequestError) as many:
        openai_client.chat.completions.create(model=MODEL, n=2, messages=[{"role": "user", "content": TEXT}])
    assert many.value.param == "n"
    with pytest.raises(openai.NotFoundError):
        openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": TEXT}])
    url, _ = server
    with openai.OpenAI(base_url=f"{url}/v1", api_key="tri_wrong", max_retries=0) as stranger, \
            pytest.raises(openai.AuthenticationError):
        stranger.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": TEXT}])


# -- in this process (Django's test client) ----------------------------------------------------

@pytest.fixture
def auth(django_user_model) -> dict[str, str]:
    _, raw = api_token_create(user=django_user_model.objects.create_user("openai-client"), name="tests")
    return {"Authorization": f"Bearer {raw}"}


def post(client, body, headers, raw: bool = False):
    return client.post("/v1/chat/completions", body if raw else json.dumps(body),
                       content_type="application/json", headers=headers)


def user_says(text: str = TEXT, **fields) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **fields}


def assert_openai_error(response, status: int, param: str | None, words: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param and words in error["message"]
    if param is not None:
        assert error["message"].startswith(f"{param}: ")
    return error


@pytest.fixture
def served(settings, tmp_path):
    settings.TRIAGE_LM_DIR = tmp_path / MODEL
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("body,param,words", [
    ({"model": MODEL, "messages": []}, "messages", "at least one user message"),
    ({"model": MODEL, "messages": [{"role": "system", "content": "be brief"}]}, "messages",
     "at least one user message"),
    ({"messages": [{"role": "user", "content": TEXT}]}, "model", "required"),
    ({"model": MODEL}, "messages", "required"),
    ({"model": MODEL, "messages": "hello"}, "messages", "list"),
    (user_says(n=2), "n", "only n=1"),
    (user_says(priority=7), "priority", "less than or equal to 4"),
    (user_says(priority="urgent"), "priority", "integer"),
    (user_says(priority=True), "priority", "integer"),
    (user_says(stream="yes"), "stream", "boolean"),
    (user_says(max_tokens=0), "max_tokens", "greater than or equal to 1"),
    (user_says(max_completion_tokens="many"), "max_completion_tokens", "integer"),
    (user_says(stop=["\n"]), "stop", "not supported"),
    (user_says(tools=[{"type": "function", "function": {"name": "f"}}]), "tools", "not supported"),
    (user_says(logprobs=True), "logprobs", "not supported"),
    (user_says(response_format={"type": "json_object"}), "response_format", "text"),
    ({"model": MODEL, "messages": [{"role": "tool", "content": "42"}]}, "messages[0].role",
     "unsupported role 'tool'"),
    ({"model": MODEL, "messages": [{"content": TEXT}]}, "messages[0].role", "required"),
    ({"model": MODEL, "messages": [{"role": "user", "content": 42}]}, "messages[0].content", "text parts"),
    ({"model": MODEL, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
     "messages[0].content", "text parts"),
    (user_says("   "), "messages[0].content", "empty"),
    (user_says("x" * (MAX_CALL_TEXT_CHARS + 1)), "messages[0].content", "more than"),
    ({"model": MODEL, "messages": [{"role": "system", "content": "s" * MAX_MESSAGES_CHARS},
                                   {"role": "user", "content": TEXT}]}, "messages", "in all"),
])
def test_bad_requests_are_400s_naming_the_field(client, auth, served, body, param, words):
    assert_openai_error(post(client, body, auth), 400, param, words)
    assert Call.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ['{"model": "x", "messages": [', "[]", "42"])
def test_a_body_that_is_not_a_json_object_is_a_400(client, auth, served, raw):
    response = post(client, raw, auth, raw=True)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_an_unknown_model_is_a_404_naming_the_served_one(client, auth, served):
    error = assert_openai_error(post(client, {**user_says(), "model": "gpt-4o"}, auth), 404, "model",
                                repr(MODEL))
    assert error["code"] == "model_not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer tri_wrong"])
def test_without_a_valid_token_it_is_a_401_in_openai_shape(client, served, header):
    headers = {"Authorization": header} if header else {}
    error = assert_openai_error(post(client, user_says(), headers), 401, None, "API key")
    assert error["code"] == "invalid_api_key"
    assert client.get("/v1/models", headers=headers).status_code == 401


@pytest.mark.django_db
def test_models_lists_the_engines_model(client, auth, served):
    listed = client.get("/v1/models", headers=auth).json()
    assert listed["object"] == "list" and [model["id"] for model in listed["data"]] == [MODEL]


@pytest.mark.django_db
def test_with_generation_off_it_is_a_503_saying_so(client, auth, served):
    served.TRIAGE_GENERATION = "off"
    error = assert_openai_error(post(client, user_says(), auth), 503, None, "generation is disabled")
    assert error["code"] == "generation_disabled"
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_call_that_does_not_finish_in_time_is_a_504_and_goes_on(client, auth, served, monkeypatch):
    served.TRIAGE_GENERATION = "embedded"
    served.TRIAGE_API_TIMEOUT_S = 0.3
    monkeypatch.setattr("triage_site.generation.embedded.EmbeddedGeneration.dispatch",
                        lambda self, call_id: None)  # never served
    error = assert_openai_error(post(client, user_says(), auth), 504, None, "still received")
    assert error["code"] == "timeout" and "/api/calls/" in error["message"]
    assert Call.objects.get().source == CallSource.API


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stream", [False, True])
def test_a_call_that_fails_is_a_503_with_the_reason(client, auth, served, missing_classifier_settings, stream):
    served.TRIAGE_GENERATION = "embedded"
    error = assert_openai_error(post(client, user_says(stream=stream), auth), 503, None, "train_triage")
    assert error["code"] == "call_failed"
    assert Call.objects.get().status == CallStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_in_this_process_a_completion_is_an_api_call_answering_the_clients_messages(
        client, auth, tiny_engine_settings):
    tiny_engine_settings.TRIAGE_API_MAX_TOKENS = 5
    messages = [{"role": "developer", "content": "Answer in one line."},
                {"role": "user", "content": [{"type": "text", "text": TEXT}]}]
    response = post(client, {"model": Path(tiny_engine_settings.TRIAGE_LM_DIR).name, "messages": messages,
                             "max_tokens": 50, "priority": 3}, auth)
    assert response.status_code == 200, response.content
    completion = response.json()
    call = Call.objects.get()
    assert completion["id"] == f"chatcmpl-{call.public_id.hex}" and completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"]["content"] == call.response
    assert call.status == CallStatus.DONE and call.source == CallSource.API and call.text == TEXT
    assert call.chat_messages == [{"role": "system", "content": "Answer in one line."},
                                  {"role": "user", "content": TEXT}]
    assert call.max_new_tokens == 5  # capped by TRIAGE_API_MAX_TOKENS
    assert call.override_priority == 3 and call.predicted_priority in range(5)
    assert completion["usage"]["completion_tokens"] == call.output_tokens
    # The length predictor read the whole chat (what the engine answers), not only the last turn.
    from inference.learned_length import messages_text
    from triage_site.triage import get_length_predictor
    assert call.predicted_output_tokens == get_length_predictor().predict(
        [messages_text(call.chat_messages)], [call.predicted_priority])[0]
