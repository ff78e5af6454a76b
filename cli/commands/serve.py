"""`toolkit serve`: the web app, where every shipped model is something to play with."""

import click

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (others see the app only if not loopback).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the default browser.")
def serve_command(host, port, open_browser):
    """Serve the web app (digits drawn live, photos, segmentation, generation, forecasting,
    the reports) until Ctrl-C; its JSON API is described at /docs."""
    import socket
    import threading
    import webbrowser

    import uvicorn

    from webapp.app import create_app

    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}: other computers on the network can use the app", err=True)
    try:  # the port is claimed before anything is loaded, so a busy one fails in one line
        listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    port = listener.getsockname()[1]
    address = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    app = create_app()
    click.echo(f"serving the toolkit at {address} (Ctrl-C to stop)", err=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(address,)).start()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[listener])
