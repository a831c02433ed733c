"""``posekit serve``: poses over HTTP (FastAPI on uvicorn) and a web page that draws them.

- :mod:`posekit.serve.app`: the application (``create_app(ServeConfig)``) and its endpoints;
- :mod:`posekit.serve.limits`: the configuration, upload reading under a size limit, and the
  bounded queue in front of the model (full: 503 with ``Retry-After``);
- :mod:`posekit.serve.models`: the models a worker loads once and runs off the event loop;
- :mod:`posekit.serve.metrics`: request counts and a latency histogram in Prometheus text format;
- :mod:`posekit.serve.jobs`: video tracking jobs (``POST /v1/track``, ``GET /v1/jobs/{id}``);
- ``static/``: the page at ``/`` (plain HTML + JavaScript, no build step, nothing from a CDN).

FastAPI, uvicorn and python-multipart come with ``pip install posekit[serve]``; nothing else in
posekit imports this package.
"""
