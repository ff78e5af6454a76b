"""The ASGI app of `toolkit serve`: a JSON API over the library (OpenAPI schema at /docs and
/openapi.json) and the pages shipped in webapp/static. A page is one module of webapp/pages
with a `router` and a `PAGE` description, listed in PAGES."""

import importlib
import logging
import pathlib

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from toolkit.errors import InputError
from webapp.common import MAX_UPLOAD, ApiError

STATIC = pathlib.Path(__file__).parent / "static"
PAGES = ("digits", "photos", "segmentation", "generation", "forecasting", "text", "history")
log = logging.getLogger("toolkit.serve")


def _error(status, message):
    return JSONResponse({"error": message}, status_code=status)


def create_app():
    """The app: each page's API under /api/<page>/, its HTML at /<page>, assets under /static."""
    from toolkit import __version__

    app = FastAPI(title="toolkit", version=__version__, description="The toolkit's models, live: the API of `toolkit serve`.")
    modules = [importlib.import_module(f"webapp.pages.{name}") for name in PAGES]
    for module in modules:
        app.include_router(module.router)

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_UPLOAD + 100_000:  # room for the form's other fields
            return _error(413, f"the upload is {int(length):,} bytes; the limit is {MAX_UPLOAD:,}")
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(request, error):
        return _error(error.status, str(error))

    @app.exception_handler(InputError)
    async def input_error(request, error):  # the library's own word on what a user gave it
        return _error(400, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, error):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query", "form"))
        return _error(422, f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid request"))

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request, error):  # the server goes on; the page shows one line
        log.exception("error answering %s", request.url.path)
        return _error(500, f"the toolkit could not answer: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")

    @app.get("/api/pages", tags=["pages"])
    def pages():
        """The app's pages: path, title and a line on each."""
        return [module.PAGE for module in modules]

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html")

    for module in modules:
        page = STATIC / f"{module.PAGE['path']}.html"
        app.add_api_route(f"/{module.PAGE['path']}", lambda page=page: FileResponse(page), include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
