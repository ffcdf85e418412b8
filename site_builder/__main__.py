"""`python -m site_builder`: build the course's JupyterLite site (see `tasks.py lite`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import BuildError
from .build import build_site

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m site_builder",
        description="Build the course as a static JupyterLite site: the learner notebooks, the "
                    "course package, ipywidgets and Pyodide itself, with no CDN and no PyPI at "
                    "run time. Publish the output folder on any static web host.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "lite",
                        help="folder to write the site to (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "lite",
                        help="where downloads are kept between builds (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        site = build_site(ROOT, args.out.resolve(), args.cache.resolve())
    except BuildError as err:
        print(f"lite build: {err}", file=sys.stderr)
        return 2
    print(f"[lite] built {site.path} ({site.size_bytes / 1e6:.0f} MB, "
          f"{len(site.notebooks)} notebooks) in {site.seconds:.0f} s")
    for line in site.left_out:
        print(f"[lite] {line}")
    print(f"[lite] try it: python3 -m http.server -d {site.path} 8000, then open "
          "http://127.0.0.1:8000/lab/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
