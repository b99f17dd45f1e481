/**
 * The settings of a run as Markdown: first the settings that differ from the task's preset (what
 * the command line changed), then every setting in a collapsed table.
 */
import { getTask } from '../experiments/index.js';
import type { Settings } from '../experiments/settings.js';
import type { RunConfig } from '../train/run.js';
import { details, inlineCode, table } from './markdown.js';

/** A setting's value as the CLI would print it: arrays and objects as JSON. */
export function settingValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The preset the run started from, or null for a task this build does not know. */
function presetOf(settings: Settings): Settings | null {
  try {
    return getTask(settings.task).presets[settings.preset] ?? null;
  } catch {
    return null;
  }
}

export function settingsSection(config: RunConfig): string {
  const settings = config.settings as unknown as Record<string, unknown>;
  const preset = presetOf(config.settings) as Record<string, unknown> | null;
  const parts: string[] = [];
  if (preset) {
    const changed = Object.keys(settings)
      .filter((k) => k !== 'task' && k !== 'preset')
      .filter((k) => settingValue(settings[k]) !== settingValue(preset[k]))
      .map((k) => [k, settingValue(settings[k]), settingValue(preset[k])]);
    parts.push(
      changed.length
        ? `Changed from the ${inlineCode(config.settings.preset)} preset:\n\n` +
            table(['setting', 'value', 'preset'], changed)
        : `All settings are those of the ${inlineCode(config.settings.preset)} preset.`,
    );
  } else {
    parts.push(
      `Task ${inlineCode(config.settings.task)} is unknown to this version, so the settings ` +
        `cannot be compared with its preset.`,
    );
  }
  parts.push(`Backend ${inlineCode(config.backend)}; ${config.steps} training steps.`);
  const all = Object.entries(settings).map(([k, v]) => [k, settingValue(v)]);
  parts.push(details('All settings (config.json "settings")', table(['setting', 'value'], all)));
  return parts.join('\n\n');
}
