"""MkDocs hook: the generated reports of `reports/` (README, tables, figures) become the site's
Reports section, read where `toolkit report all` writes them, so nothing is copied by hand."""

import pathlib

from mkdocs.structure.files import File

REPORTS = pathlib.Path(__file__).resolve().parents[1] / "reports"


def on_files(files, config):
    for path in sorted(REPORTS.rglob("*")):
        if path.suffix not in (".md", ".png"):
            continue
        relative = path.relative_to(REPORTS).as_posix()
        target = "reports/index.md" if relative == "README.md" else f"reports/{relative}"
        if path.suffix == ".md":
            text = path.read_text().replace("](../docs/", "](../")  # links into docs/ from the site's reports/
            files.append(File.generated(config, target, content=text))
        else:
            files.append(File.generated(config, target, content=path.read_bytes()))
    return files


def on_page_markdown(markdown, page, config, files):
    """Links from docs/ to ../reports/ (right on GitHub) point at the site's Reports section."""
    if page.file.src_uri.startswith("reports/"):
        return markdown
    return markdown.replace("](../reports/README.md)", "](reports/index.md)").replace("](../reports/", "](reports/")
