import { bruteForceFactory } from "./brute-force-index";
import { runKnnConformance } from "./knn.case";

runKnnConformance(bruteForceFactory);
