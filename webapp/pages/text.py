"""Text: a character language model continues a prompt, streamed as it writes (the same
`generate` as `toolkit generate`)."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from webapp.common import check_weights, keras_lock, keras_model, shipped, task_of

PAGE = {"path": "text", "title": "Text", "summary": "the char-RNN and the GPT write, character by character"}
router = APIRouter(prefix="/api/text", tags=["text"])


@router.get("/models")
def models():
    """The shipped language models with their validation bits per character."""
    rows = []
    for w, item in sorted(shipped("text").items()):
        (split, m), *_ = item["metrics"].items()
        rows.append({"weights": w, "model": item["arch"], "corpus": split.split("/")[0], "params": item["params"],
                     "bits_per_char": m["bits_per_char"], "trigram_bits_per_char": m["baselines"]["trigram"]["bits_per_char"],
                     "description": item.get("description", "")})  # fmt: skip
    return rows


class GenerateRequest(BaseModel):
    weights: str
    prompt: str = Field("", max_length=2000)
    n: int = Field(400, ge=1, le=5000, description="characters to write")
    temperature: float = Field(0.8, gt=0, le=10)
    top_k: int | None = Field(None, ge=1)
    seed: int = Field(0, ge=0, le=2**31 - 1)


@router.post("/generate", response_class=StreamingResponse, responses={200: {"content": {"text/plain": {}}}})
def generate(request: GenerateRequest):
    """The prompt's continuation as plain text, streamed character by character; a prompt with
    a character outside the model's vocabulary is refused (400) before anything is written."""
    check_weights(request.weights, "text")
    task, model = task_of(request.weights), keras_model(request.weights)

    characters = task.characters(model, request.prompt, request.n, request.temperature, request.top_k, request.seed)

    def locked():
        with keras_lock(request.weights):
            yield from characters

    return StreamingResponse(locked(), media_type="text/plain; charset=utf-8")
