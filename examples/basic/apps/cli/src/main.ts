import { greet } from '../../../libs/greeting/src';

// `node main.js Ada` prints a greeting. The cli-options batch adds --lang and --help in src/options/.
console.log(greet(process.argv[2] ?? 'world'));
