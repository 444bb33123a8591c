import { randomInt } from 'node:crypto';

const adjectives = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fancy', 'gentle',
  'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'noble', 'proud', 'quick', 'quiet', 'rapid', 'sharp',
  'shiny', 'silent', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'witty',
];
const nouns = [
  'badger', 'beacon', 'comet', 'condor', 'falcon', 'ferret', 'harbor', 'heron', 'lynx', 'maple', 'meadow', 'nebula',
  'otter', 'panda', 'pebble', 'puffin', 'quasar', 'raven', 'river', 'robin', 'salmon', 'summit', 'thistle', 'tiger',
  'tundra', 'walrus', 'willow', 'wombat', 'yak', 'zebra', 'galaxy', 'lagoon',
];

/** A random `adjective_noun` name for groups and keys created without `--name` (as sshportal does). */
export function randomName(): string {
  return `${adjectives[randomInt(adjectives.length)]}_${nouns[randomInt(nouns.length)]}`;
}
