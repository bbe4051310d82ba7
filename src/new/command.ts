/**
 * `spindle new`: non-interactive by its arguments; without a template it asks for one only
 * when a person is at the terminal.
 */
import { createInterface } from 'node:readline/promises';
import { relative } from 'node:path';
import { createProject } from './project.js';
import { templateList } from './templates.js';

async function askTemplate(): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await prompt.question(`Templates:\n${templateList()}\nWhich template? `)).trim();
  } finally {
    prompt.close();
  }
}

export async function newCommand(template: string | undefined, dir: string | undefined, options: { list: boolean }): Promise<number> {
  if (options.list) {
    console.log(templateList());
    return 0;
  }
  if (template === undefined && !process.stdin.isTTY) {
    console.error(`spindle new: name a template: spindle new <template> [dir]. The templates:\n${templateList()}`);
    return 2;
  }
  const project = await createProject(template ?? (await askTemplate()), dir);
  const shown = relative(process.cwd(), project.dir) || '.';
  console.log(`created ${shown} (app "${project.name}"):\n${project.files.map((f) => `  ${f}`).join('\n')}`);
  console.log(`\nNext:\n  cd ${shown}\n  npm install\n  npm test     # type-check, build, and test it\n  npm start    # build and serve it`);
  return 0;
}
