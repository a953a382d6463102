"""The engine: data on the device, models, optimizers' kernels, the plain and the stacked training loops and
the rules every loop shares. Imports the spec; nothing above it."""
