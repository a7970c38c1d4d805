export { LibsystemdUnavailableError, SystemdNotifyError } from './errors.js';
export { LIBSYSTEMD, SystemdNotifier, type NotifierEnv, type SystemdNotifierOptions } from './notify.js';
