# mk/product.mk -- the product surface (included by the top Makefile).
#
#   make run                 the main job on the built-in default model:
#                            build, make a random-weight MiniLM-L6 (build/minilm),
#                            info, embed, index, two searches, an overlay, throughput
#   make run MODEL=DIR       the same on a real model directory, e.g.
#                            huggingface-cli download sentence-transformers/all-MiniLM-L6-v2 \
#                                --local-dir models/all-MiniLM-L6-v2
#                            make run MODEL=models/all-MiniLM-L6-v2
#
# `make run` first runs tools/deps.sh (installs what a fresh Debian machine
# lacks, with sudo when not root; quick when nothing is missing). Set
# BATCHML_NO_DEPS=1 to skip that step.

.PHONY: run
run:
	@MODEL='$(MODEL)' bash mk/run.sh
