"""Generation: a grid of digits from a seed, the walk between two seeds' latent vectors, the
requested digit of the conditional GAN and the learned code of InfoGAN; the VAE draws from
its prior. The same calls as `toolkit sample`."""

import time

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, Field

from webapp.common import ApiError, check_weights, fast_model, keras_model, png, shipped, task_of

PAGE = {"path": "generation", "title": "Generation", "summary": "digits drawn by the GANs and the VAE"}
TASKS = ("generation", "autoencoding")
router = APIRouter(prefix="/api/generation", tags=["generation"])


def _generators():
    return {w: item for w, item in shipped(TASKS).items() if item["task"] == "generation" or item["arch"] == "vae"}


@router.get("/models")
def models():
    """The shipped generators: each GAN, whether it draws a requested digit, how many learned
    codes it has (InfoGAN), and the VAEs."""
    from toolkit import hub

    return [{"weights": w, "model": item["arch"], "conditional": hub.model_info(item["arch"]).conditional,
             "codes": item["build"].get("codes", 0), "interpolates": item["task"] == "generation",
             "description": item.get("description", "")} for w, item in sorted(_generators().items())]  # fmt: skip


class SampleRequest(BaseModel):
    weights: str
    seed: int = Field(0, ge=0, le=2**31 - 1)
    n: int = Field(64, ge=1, le=256, description="digits in the grid")
    digit: int | None = Field(None, ge=0, le=9, description="the digit a conditional GAN draws")
    code: int | None = Field(None, ge=0, description="InfoGAN's categorical code")


class InterpolateRequest(BaseModel):
    weights: str
    seeds: tuple[int, int] = (0, 1)
    steps: int = Field(11, ge=2, le=64)
    digit: int | None = Field(None, ge=0, le=9)
    code: int | None = Field(None, ge=0)


def _generator(weights_id):
    """(task, the network that draws) of generator weights; a VAE's is its decoder."""
    check_weights(weights_id, TASKS)
    if weights_id not in _generators():
        raise ApiError(f"{weights_id} redraws digits but cannot draw new ones; choose a GAN or a VAE", 404)
    task = task_of(weights_id)
    if task.name == "autoencoding":
        return task, task.sampler(keras_model(weights_id))
    return task, fast_model(weights_id).sampler


def _check_options(task, request, weights_id):
    if task.name == "autoencoding" and (request.digit is not None or request.code is not None):
        raise ApiError("a VAE draws from its prior: it takes no digit or code")
    if request.digit is not None and not task.conditional:
        raise ApiError(f"{weights_id} is not conditional: a requested digit needs the conditional GAN (cdcgan)")
    codes = _generators()[weights_id]["build"].get("codes", 0)
    if request.code is not None and not request.code < codes:
        raise ApiError(f"{weights_id} has {codes} learned codes; code {request.code} is not one of them")


def _grid(images, columns):
    rows = -(-len(images) // columns)
    canvas = np.zeros((rows * 28, columns * 28), "float32")
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        canvas[r * 28 : (r + 1) * 28, c * 28 : (c + 1) * 28] = image
    return canvas


@router.post("/sample")
def sample(request: SampleRequest):
    """A grid of `n` digits from the latent vectors of `seed` (8 per row)."""
    start = time.perf_counter()
    task, generator = _generator(request.weights)
    _check_options(task, request, request.weights)
    if task.name == "autoencoding":
        images = task.sample(generator, request.n, seed=request.seed)
    else:
        images = task.sample(generator, request.n, seed=request.seed, digits=request.digit, codes=request.code)
    return {"weights": request.weights, "grid": png(_grid(images, 8)), "n": request.n,
            "server_ms": round((time.perf_counter() - start) * 1000, 2)}  # fmt: skip


@router.post("/interpolate")
def interpolate(request: InterpolateRequest):
    """The digits along the straight line between the latent vectors of two seeds, one picture
    per step, for a slider."""
    task, generator = _generator(request.weights)
    if task.name == "autoencoding":
        raise ApiError("the interpolation slider walks a GAN's latent space; choose a GAN")
    _check_options(task, request, request.weights)
    images = task.interpolate(generator, request.seeds, request.steps, request.digit, request.code)
    return {"weights": request.weights, "frames": [png(image) for image in images]}
