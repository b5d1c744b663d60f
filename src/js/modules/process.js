// node:process: the global `process` (src/js/glue/process.js) as a module.
import internal from "isere:internal";

const process = internal.process;
export default process;
export const { env, argv, platform, arch, version, versions, nextTick, hrtime, uptime, cwd, exit, emitWarning, on, off, once, emit } = process;
