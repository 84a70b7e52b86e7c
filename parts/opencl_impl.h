/* (OpenCL implementation: being written) */
