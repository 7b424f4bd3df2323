/**
 * Imported (for its effect) before `onnxruntime-node` by every module that loads it.
 *
 * onnxruntime-node 1.30 on Linux starts a telemetry system with the first session: it reads
 * /etc/machine-id and the whole of /proc/self/cmdline, and crashes the process with a
 * segmentation fault, no message, when the command line is longer than about 28 KB
 * (`tokentag predict "<a long text>"`). A command-line tool that runs offline has no business
 * reporting usage anyway, so telemetry is off unless the user set ORT_DISABLE_TELEMETRY
 * themselves. ONNX Runtime reads the variable when it creates its environment, so setting it
 * here, before the first session, is enough.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export {};
