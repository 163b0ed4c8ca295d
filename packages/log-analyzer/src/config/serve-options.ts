// The serve and scan commands' options, built from the settings table (settings.ts): each with its
// parser, default and LOG_ANALYZER_<FLAG> environment name, in the table's order.

import { type Command, Option } from 'commander';
import { envName, type Setting, TABLE } from './settings.js';

/** A setting's commander options: its flag, and its `--no-…` form when it has one. */
function optionsOf(setting: Setting): Option[] {
  const option = new Option(setting.flags, setting.help);
  if (!setting.noEnv) option.env(envName(setting));
  if (setting.choices) option.choices(setting.choices);
  if (setting.default !== undefined) option.default(setting.default, setting.shown);
  if (setting.parse) option.argParser(setting.parse as (value: string, previous: never) => never);
  return setting.off ? [option, new Option(setting.off.flags, setting.off.help)] : [option];
}

export function addServeOptions(serve: Command): Command {
  for (const setting of TABLE) for (const option of optionsOf(setting)) serve.addOption(option);
  // What `config print` and `config check` run serve with.
  return serve.addOption(new Option('--print-config').hideHelp()).addOption(new Option('--check-config').hideHelp());
}

/** scan reads files once: only the settings that say how to read them. */
export function addScanOptions(scan: Command): Command {
  for (const setting of TABLE.filter((s) => s.scan)) for (const option of optionsOf(setting)) scan.addOption(option);
  return scan;
}
