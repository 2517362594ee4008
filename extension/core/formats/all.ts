// Registers every format reader with the registry, most specific first (the project's own, most
// permissive format is tried last by the registry). Import this module once (extension, CLI, tests).

import { registerReaders } from './registry';
import { trlParquetReader, trlWandbTableReader } from './trl';
import { msSwiftReader } from './msSwift';
import { evalJsonlReader, generatedResponsesReader, r1vEvalReader } from './evalOutputs';
import { vlmR1DebugReader } from './vlmr1Debug';
import { easyR1GenerationsReader } from './easyr1';
import { verlReader } from './verl';

registerReaders([
  trlParquetReader,
  trlWandbTableReader,
  msSwiftReader,
  verlReader,
  evalJsonlReader,
  r1vEvalReader,
  generatedResponsesReader,
  vlmR1DebugReader,
  easyR1GenerationsReader,
]);

export * from './registry';
