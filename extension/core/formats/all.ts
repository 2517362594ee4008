// Registers every format reader with the registry. Import this module once (extension, CLI, tests).

import { registerReaders } from './registry';

registerReaders([]);

export * from './registry';
