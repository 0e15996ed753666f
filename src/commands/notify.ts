import path from 'node:path';
import { defineCommand } from 'citty';
import { ConfigError } from '../core/errors.js';
import { shownCommand } from '../core/init-command.js';
import { notifyStage } from '../engine/notify-stage.js';
import { EXIT } from '../cli/exit-codes.js';
import { loadContext, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';
import { commandLine } from '../cli/program.js';
import { VERSION } from '../version.js';

export default defineCommand({
  meta: { name: 'notify', description: 'Send a test message with the mailNotification settings (notify --test)' },
  args: { ...sharedArgs, test: { type: 'boolean', description: 'Send a test message to the configured recipients', default: false } },
  async run({ args }) {
    // As the admin types it again: the executable by its path, and their --config if they gave one.
    const test = shownCommand(commandLine('notify --test', args.config === undefined ? undefined : path.resolve(args.config)));
    if (!args.test) {
      // Each run sends its own report; the only thing to do by hand is to try the settings.
      throw Object.assign(new Error(`notify only sends a test message: use ${test}.`), { name: 'CLIError' });
    }
    const log = await Logger.create(args.verbose);
    const { config } = loadContext(args, log);
    if (!config.notification.enabled) {
      // The password is only read when notifications are on, so a test with them off would prove nothing.
      throw new ConfigError([{ file: config.configPath, key: 'mailNotification.send_notification', message: `is False: set it to True, then run ${test} again` }]);
    }
    const result = await notifyStage(config, { kind: 'test' }, { version: VERSION, onEvent: (level, message) => log.log(level, message) });
    return result.status === 'sent' ? EXIT.ok : EXIT.notification;
  },
});
