// Debian's Chromium, headless, as the studio's scripts drive it (screenshots, bench/studio-load.mjs):
// playwright-core cannot download its own browser here. Without the background-networking flags
// Chromium keeps trying hosts this machine cannot reach.
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A headless Chromium from `CHROMIUM`. @throws when it is not installed (`apt-get install chromium`) */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
