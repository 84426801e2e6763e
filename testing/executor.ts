/** What specs need to call an executor in-process: a context Nx would pass, and the lines it logs. */
import type { ExecutorContext, ProjectConfiguration } from '@nx/devkit';

export interface ContextOptions {
  project?: string;
  /** Defaults to `libs/<project>`. */
  projectRoot?: string;
  target: string;
  /** The project's targets, when the executor reads its siblings (the batch targets of a project). */
  targets?: ProjectConfiguration['targets'];
  /** More projects beside the one that runs. */
  projects?: Record<string, ProjectConfiguration>;
}

/** The context Nx passes to an executor, for one project of a workspace rooted at `root`. */
export function executorContext(root: string, opts: ContextOptions): ExecutorContext {
  const project = opts.project ?? 'auth';
  const own: ProjectConfiguration = { root: opts.projectRoot ?? `libs/${project}`, targets: opts.targets ?? {} };
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: project,
    targetName: opts.target,
    projectsConfigurations: { version: 2, projects: { ...opts.projects, [project]: own } },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as ExecutorContext;
}

/** Nx's logger colours its lines when CI is set (picocolors): specs compare the text. */
export const stripColors = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

export interface CapturedConsole {
  /** Every line logged since the capture began, colours stripped. */
  lines: string[];
  restore(): void;
}

/** Captures what the executor logs (Nx's logger writes through console) instead of printing it. */
export function captureConsole(levels: ReadonlyArray<'info' | 'error' | 'warn' | 'log'> = ['info', 'error', 'warn', 'log']): CapturedConsole {
  const lines: string[] = [];
  const spies = levels.map((level) => jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(stripColors(args.join(' ')))));
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

/** Captures the console in each test of the enclosing `describe`; `.lines` is the current test's. */
export function captureConsoleEachTest(): { readonly lines: string[] } {
  let captured: CapturedConsole | undefined;
  beforeEach(() => void (captured = captureConsole()));
  afterEach(() => captured?.restore());
  return {
    get lines() {
      return captured!.lines;
    },
  };
}
