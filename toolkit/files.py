"""Files written so that nothing is lost: atomically, and never over a file unless asked to.

Every file the toolkit writes goes through `written`: the content goes to a temporary file beside
the target, is flushed to disk, and only then takes the target's name. A write that fails (a full
disk, an error, Ctrl-C) leaves the target as it was and no temporary file behind. Unless
`replace` is given, the target is created exclusively: a file that exists, even one another
process wrote a moment ago, is never replaced, and the write fails with `FileExistsError`.
"""

import contextlib
import os
import pathlib
import tempfile

_UMASK = os.umask(0)
os.umask(_UMASK)  # read, then put back: files get the permissions any other file would


@contextlib.contextmanager
def written(path, *, replace=False):
    """Yield a temporary path, with the target's suffixes, to write the content of `path` to.

    Raises:
        FileExistsError: `path` exists (or appeared while writing) and `replace` is false.
    """
    path = pathlib.Path(path)
    if path.exists() and not replace:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name.split('.')[0]}-", suffix="".join(path.suffixes),
                                        dir=path.parent)  # fmt: skip
    os.close(descriptor)
    temporary = pathlib.Path(name)
    os.chmod(temporary, 0o666 & ~_UMASK)
    try:
        yield temporary
        with open(temporary, "rb+") as f:
            os.fsync(f.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            _create(temporary, path)
        _sync_folder(path.parent)
    except OSError as error:
        if isinstance(error, FileExistsError) or not error.errno:
            raise
        failure = OSError(f"{path} could not be written: {os.strerror(error.errno)}")  # a full disk, say
        failure.errno = error.errno
        raise failure from None
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def written_folder(path, *, replace=False):
    """`written` for a folder: yield a temporary folder beside `path`, which takes its name
    whole once the block ends (replacing a folder of that name only with `replace`).

    Raises:
        FileExistsError: `path` exists and `replace` is false.
    """
    import shutil

    path = pathlib.Path(path)
    if path.exists() and not replace:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    temporary = pathlib.Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    old = None
    try:
        yield temporary
        if path.exists():
            old = pathlib.Path(tempfile.mkdtemp(prefix=f".{path.name}-old-", dir=path.parent))
            os.replace(path, old / path.name)
        try:
            os.rename(temporary, path)
        except OSError:
            if old is not None:  # put the old one back
                os.replace(old / path.name, path)
            raise FileExistsError(f"{path} was written by something else meanwhile; it is kept as it is") from None
        _sync_folder(path.parent)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _create(temporary, path):
    """Give `temporary` the name `path` only if no file has it: a hard link fails if one does."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsError(f"{path} was written by something else meanwhile; it is kept as it is") from None
    except OSError:  # a file system without hard links: check, then rename (not safe against a race)
        if path.exists():
            raise FileExistsError(f"{path} exists; pass --force to replace it") from None
        os.replace(temporary, path)


def _sync_folder(folder):
    with contextlib.suppress(OSError):  # not every system lets a folder be opened and synced
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def write_text(path, text, *, replace=False):
    """Write `text` to `path` through `written`."""
    with written(path, replace=replace) as temporary:
        temporary.write_text(text)


def write_json(path, data, *, replace=False):
    """Write `data` as indented JSON to `path` through `written`."""
    import json

    write_text(path, json.dumps(data, indent=2), replace=replace)


class FolderInUse(RuntimeError):
    """Another process holds the folder's lock."""


def lock(folder):
    """Lock `folder` for as long as this process keeps the returned file open (an OS lock, which
    the system drops when the process ends, however it ends).

    Raises:
        FolderInUse: another process holds it.
    """
    path = pathlib.Path(folder) / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        return os.fdopen(descriptor)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise FolderInUse(f"{folder} is in use by another toolkit process; wait for it to end or choose another folder") from None
    return os.fdopen(descriptor)


LOCK_FILE = ".toolkit.lock"


def read_json(path, error=ValueError):
    """The JSON in `path`; a file that is not JSON raises `error` naming the file, in one line."""
    import json

    try:
        return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except ValueError as problem:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise error(f"{path}: not a valid JSON file ({str(problem).splitlines()[0][:120]})") from None
