"""The course in the browser: `python3 tasks.py lite` builds a static JupyterLite site.

The site holds the learner notebooks, the course package as a wheel, ipywidgets and the Pyodide
runtime itself, so it runs from any static web host with no CDN and no PyPI at run time.
Downloads (Pyodide's npm package, a few pure-Python wheels) are cached, so a rebuild is quick.

- `downloads`: the cached downloads (npm pack, pip download)
- `course_wheel`: the course package (grader + churn_course) as a wheel
- `lock`: Pyodide's package lock rewritten to the wheels the site carries
- `build`: puts it together with `jupyter lite build`
"""


class BuildError(Exception):
    """A problem the person building can fix; the message is one sentence saying how."""
