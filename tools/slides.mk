# `make slides`: every lecture as offline reveal.js slides in build/slides/ (open build/slides/index.html).
# Executes each notebook with the widgets' state saved; reveal.js, require.js, jQuery, MathJax and the
# widget renderer are fetched once from the npm registry (npm pack, pinned, integrity-checked) into
# build/npm/ and copied to build/slides/assets/. Needs `npm` at build time, nothing at view time.
.PHONY: slides

slides: venv
	$(BIN)/python tools/export_slides.py --out build/slides --jobs $(JOBS)
