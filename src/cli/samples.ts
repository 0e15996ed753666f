import configurationYml from '../../dist-config/configuration.yml';
import mailboxesYml from '../../dist-config/mailboxes_to_backup.yml';

/** The commented samples, file name → text, as shipped in dist-config. */
export const SAMPLES: ReadonlyArray<readonly [name: string, text: string]> = [
  ['configuration.yml', configurationYml],
  ['mailboxes_to_backup.yml', mailboxesYml],
];
