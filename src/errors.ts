/**
 * Typed errors shared by every layer. Each carries a machine-readable `code` and names the
 * file, tensor or field at fault, so a user can fix the input without reading a stack trace.
 */
export type ErrorCode =
  | 'SAFETENSORS'
  | 'CONFIG'
  | 'MISSING_TENSOR'
  | 'SHAPE'
  | 'TOKENIZER'
  | 'CONTEXT_LENGTH'
  | 'INTERVENTION'
  | 'HOOK'
  | 'DATASET'
  | 'RUN'
  | 'USAGE'
  | 'KERNEL'
  | 'DOWNLOAD'
  | 'GGUF'
  | 'JUDGE';

export class EmotionCircuitsError extends Error {
  readonly code: ErrorCode;
  /** File path, tensor name or field the error is about, when there is one. */
  readonly where?: string;

  constructor(code: ErrorCode, message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'EmotionCircuitsError';
    this.code = code;
    this.where = where;
  }
}

/** A safetensors file whose bytes do not describe valid tensors. */
export class SafetensorsError extends EmotionCircuitsError {
  constructor(file: string, message: string) {
    super('SAFETENSORS', message, file);
    this.name = 'SafetensorsError';
  }
}

/** A config.json that is missing a field, has the wrong type, or names an unknown architecture. */
export class ConfigError extends EmotionCircuitsError {
  constructor(file: string, message: string) {
    super('CONFIG', message, file);
    this.name = 'ConfigError';
  }
}

/** A checkpoint that lacks a tensor the architecture needs, or has it with the wrong shape. */
export class MissingTensorError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('MISSING_TENSOR', message, where);
    this.name = 'MissingTensorError';
  }
}

export class ShapeError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('SHAPE', message, where);
    this.name = 'ShapeError';
  }
}

/** A prompt (plus requested new tokens) longer than the model's context window. */
export class ContextLengthError extends EmotionCircuitsError {
  constructor(tokens: number, limit: number) {
    super('CONTEXT_LENGTH', `sequence of ${tokens} tokens exceeds the model's context of ${limit} tokens`);
    this.name = 'ContextLengthError';
  }
}

export class InterventionError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('INTERVENTION', message, where);
    this.name = 'InterventionError';
  }
}

export class DatasetError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('DATASET', message, where);
    this.name = 'DatasetError';
  }
}

export class UsageError extends EmotionCircuitsError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/**
 * A model id that could not be fetched from the Hugging Face hub (or found in its cache offline).
 * `where` names the repository, and the file when one file is at fault (`org/name/config.json`).
 */
export class DownloadError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('DOWNLOAD', message, where);
    this.name = 'DownloadError';
  }
}

/** A judge that cannot be set up, e.g. the LLM judge without its endpoint; `where` names the setting. */
export class JudgeConfigError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('JUDGE', message, where);
    this.name = 'JudgeConfigError';
  }
}
