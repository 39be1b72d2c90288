"""GAN training: networks, losses, data sets, the training loop, the model format and its CLI.

No Qt here. The editor and the inversion code read `networks` and `modelfile`; only the CLI and
benchmarks drive `loop`.
"""
