import { stage2Program } from "./program";

export = stage2Program();
