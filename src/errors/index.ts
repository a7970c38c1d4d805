/**
 * Named errors of doorway. Each carries everything needed for the one line a person reads;
 * `exitCode` is what the CLI exits with when one reaches it.
 */
export abstract class DoorwayError extends Error {
  abstract readonly exitCode: number;
}

/** A config, profile or manifest file that is unreadable or fails its schema. */
export class ConfigError extends DoorwayError {
  override readonly name = 'ConfigError';
  readonly exitCode = 2;
  readonly file: string;
  readonly field: string;
  readonly reason: string;

  constructor(file: string, field: string, reason: string) {
    super(field === '' ? `${file}: ${reason}` : `${file}: ${field}: ${reason}`);
    this.file = file;
    this.field = field;
    this.reason = reason;
  }
}

/** A feature asked for at run time that this build did not compile. */
export class FeatureUnavailableError extends DoorwayError {
  override readonly name = 'FeatureUnavailableError';
  readonly exitCode = 1;
  readonly feature: string;
  readonly builtProfile: string;
  readonly profilesWithFeature: readonly string[];

  constructor(
    feature: string,
    builtProfile: string,
    profilesWithFeature: readonly string[],
    detail?: string,
  ) {
    const where =
      profilesWithFeature.length > 0
        ? `profiles that have it: ${profilesWithFeature.join(', ')}`
        : 'no profile has it';
    super(
      detail === undefined
        ? `feature '${feature}' is not in this build (profile '${builtProfile}'); ${where}`
        : `feature '${feature}' is not in this build (profile '${builtProfile}'): ${detail}`,
    );
    this.feature = feature;
    this.builtProfile = builtProfile;
    this.profilesWithFeature = profilesWithFeature;
  }
}

/** A native addon that is missing, fails to load, or does not export what its type says. */
export class NativeAddonError extends DoorwayError {
  override readonly name = 'NativeAddonError';
  readonly exitCode = 1;
  readonly addon: string;

  constructor(addon: string, reason: string) {
    super(`native addon '${addon}': ${reason}`);
    this.addon = addon;
  }
}

/** A build step (toolchain, cmake) that failed. */
export class BuildError extends DoorwayError {
  override readonly name = 'BuildError';
  readonly exitCode = 1;
}

/** A command-line usage mistake: unknown option value, conflicting flags. */
export class UsageError extends DoorwayError {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/**
 * A media part refused to start or to take its input: a missing camera, a format it lacks, an
 * encoder this machine cannot open, a file that is not a stream. The message is the native
 * part's own one line, naming the device, file or codec.
 */
export class MediaError extends DoorwayError {
  override readonly name = 'MediaError';
  readonly exitCode = 1;
}

/** A long-running service stopped by its supervisor's decision (too many restarts of a part). */
export class ServiceError extends DoorwayError {
  override readonly name = 'ServiceError';
  readonly exitCode = 1;
}
